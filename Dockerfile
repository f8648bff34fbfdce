# A small keygen image: Debian 13 (python:3.13-slim) with openssl and the OpenSSH client, run as a
# non-root user, writing privateKey.pem and publicKey.pub to the /keys volume.
#
#   docker build -t keygen .
#   mkdir -m 700 keys && docker run --rm --user "$(id -u):$(id -g)" -v "$PWD/keys:/keys" keygen
#
# --user is needed: the image's own uid 10001 cannot write into a 0700 directory of yours, and a run
# without it stops with exit 6, writing nothing (docs/how-to/ci.md; the lane below plays both runs).
#
# No docker daemon is relied on in this project's CI: the Debian 13 lane (.ci/distros) executes
# these instructions themselves (.ci/dockerfile.py: RUN, COPY, ENV, USER, WORKDIR, VOLUME, then
# ENTRYPOINT + CMD) in a fresh overlay of a debootstrapped trixie root, and hadolint checks this file.
FROM python:3.13-slim

# Debian's current openssl and openssh-client for this release: security updates, not pins.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends openssl openssh-client \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md /src/
COPY keygen /src/keygen
RUN python3 -m venv /opt/keygen \
    && /opt/keygen/bin/pip install --no-cache-dir --disable-pip-version-check /src \
    && rm -rf /src \
    && groupadd --gid 10001 keygen \
    && useradd --create-home --uid 10001 --gid 10001 --shell /usr/sbin/nologin keygen \
    && install -d -o 10001 -g 10001 -m 0700 /keys

# The audit log (no secrets in it) goes beside the keys, so it outlives the container.
ENV PATH=/opt/keygen/bin:$PATH \
    KEYGEN_AUDIT_LOG=/keys/audit.jsonl
USER 10001:10001
WORKDIR /keys
VOLUME ["/keys"]
ENTRYPOINT ["keygen"]
CMD ["generate", "--json", "--out-dir", "/keys"]
