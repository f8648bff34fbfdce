"""Configuration blocks for the official Amazon Pay SDKs, ready to paste.

Each block uses the SDK's own configuration keys and values, read from its source and README
(PHP 2.7.2 `Client.php`, Node 2.3.4 `src/clientHelper.js`, Java 2.6.7 `PayConfiguration`,
`Region`, .NET 2.7.3 `ApiConfiguration`, `Region`, Ruby 1.2.0 `client_helper.rb`):

- region: PHP and Node take `us`/`eu`/`jp`; Java `Region.NA/EU/JP`; .NET `Region.UnitedStates`,
  `Region.Europe`, `Region.Japan`; Ruby `na`/`eu`/`jp`.
- sandbox: only for an ID without a `SANDBOX-`/`LIVE-` prefix (the prefix decides otherwise).
- algorithm: PHP, Node and Java take the name; .NET `AmazonSignatureAlgorithm.V2`/`.Default`; Ruby
  1.2.0 has no setting and always signs with AMZN-PAY-RSASSA-PSS-V2.
- key file: Java loads only PKCS#8 (`BEGIN PRIVATE KEY`); PHP, Node, .NET and Ruby also PKCS#1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from keygen.host.platforms import SDKS as SDKS  # the names, from the one table

NAMES = {"php": "PHP", "node": "Node.js", "java": "Java", "dotnet": ".NET", "ruby": "Ruby"}
PACKAGES = {
    "php": "amzn/amazon-pay-api-sdk-php (Composer)",
    "node": "@amazonpay/amazon-pay-api-sdk-nodejs (npm)",
    "java": "software.amazon.pay:amazon-pay-api-sdk-java (Maven)",
    "dotnet": "Amazon.Pay.API.SDK (NuGet)",
    "ruby": "amazon-pay-api-sdk-ruby (RubyGems)",
}
_JAVA_REGION = {"us": "NA", "eu": "EU", "jp": "JP"}
_DOTNET_REGION = {"us": "UnitedStates", "eu": "Europe", "jp": "Japan"}
_RUBY_REGION = {"us": "na", "eu": "eu", "jp": "jp"}
V1, V2 = "AMZN-PAY-RSASSA-PSS", "AMZN-PAY-RSASSA-PSS-V2"


@dataclass(frozen=True)
class Settings:
    private_key: str
    public_key_id: str
    region: str
    #: "sandbox" or "live" for an ID without a prefix; None when the prefix decides.
    sandbox: bool | None
    algorithm: str
    #: The key file is PKCS#8 (`BEGIN PRIVATE KEY`), which every SDK loads.
    pkcs8: bool = True


@dataclass(frozen=True)
class Block:
    sdk: str
    language: str
    text: str
    notes: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"sdk": self.sdk, "name": NAMES[self.sdk], "package": PACKAGES[self.sdk], "text": self.text,
                "notes": self.notes}


def _q(value: str) -> str:
    """A double-quoted string literal valid in JavaScript, Java and C# (JSON escaping)."""
    return json.dumps(value)


def _sq(value: str) -> str:
    """A single-quoted PHP or Ruby literal: only the backslash and the quote are special."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _php(s: Settings) -> str:
    lines = [
        "$amazonpay_config = array(",
        f"    'public_key_id' => {_sq(s.public_key_id)},",
        f"    'private_key'   => {_sq(s.private_key)},",
        f"    'region'        => {_sq(s.region)},",
    ]
    if s.sandbox is not None:
        lines.append(f"    'sandbox'       => {'true' if s.sandbox else 'false'},")
    lines += [f"    'algorithm'     => {_sq(s.algorithm)}", ");"]
    return "\n".join(lines)


def _node(s: Settings) -> str:
    lines = [
        "const Client = require('@amazonpay/amazon-pay-api-sdk-nodejs');",
        "const fs = require('fs');",
        "",
        "const config = {",
        f"    publicKeyId: {_q(s.public_key_id)},",
        f"    privateKey: fs.readFileSync({_q(s.private_key)}),",
        f"    region: {_q(s.region)},",
    ]
    if s.sandbox is not None:
        lines.append(f"    sandbox: {'true' if s.sandbox else 'false'},")
    lines += [f"    algorithm: {_q(s.algorithm)}", "};", "const client = new Client.WebStoreClient(config);"]
    return "\n".join(lines)


def _java(s: Settings) -> str:
    lines = [
        "PayConfiguration payConfiguration = new PayConfiguration()",
        f"        .setPublicKeyId({_q(s.public_key_id)})",
        f"        .setRegion(Region.{_JAVA_REGION[s.region]})",
        f"        .setPrivateKey(new String(Files.readAllBytes(Paths.get({_q(s.private_key)}))).toCharArray())",
    ]
    if s.sandbox is not None:
        lines.append(f"        .setEnvironment(Environment.{'SANDBOX' if s.sandbox else 'LIVE'})")
    lines.append(f"        .setAlgorithm({_q(s.algorithm)});")
    return "\n".join(lines)


def _dotnet(s: Settings) -> str:
    lines = [
        "var payConfiguration = new Amazon.Pay.API.ApiConfiguration",
        "(",
        f"    region: Amazon.Pay.API.Types.Region.{_DOTNET_REGION[s.region]},",
    ]
    if s.sandbox is not None:
        lines.append(f"    environment: Amazon.Pay.API.Types.Environment.{'Sandbox' if s.sandbox else 'Live'},")
    lines += [
        f"    publicKeyId: {_q(s.public_key_id)},",
        f"    privateKey: {_q(s.private_key)},",
        f"    algorithm: Amazon.Pay.API.Types.AmazonSignatureAlgorithm.{'V2' if s.algorithm == V2 else 'Default'}",
        ");",
    ]
    return "\n".join(lines)


def _ruby(s: Settings) -> str:
    lines = [
        "config = {",
        f"  region: {_sq(_RUBY_REGION[s.region])},",
        f"  public_key_id: {_sq(s.public_key_id)},",
        f"  private_key: File.read({_sq(s.private_key)}),",
    ]
    if s.sandbox is not None:
        lines.append(f"  sandbox: {'true' if s.sandbox else 'false'}")
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines)


_BUILDERS = {"php": (_php, "php"), "node": (_node, "javascript"), "java": (_java, "java"),
             "dotnet": (_dotnet, "csharp"), "ruby": (_ruby, "ruby")}


#: What the SDKs other than Java say about the key file: the same whatever the settings.
_KEY_NOTES = {
    "ruby": (
        "Ruby SDK 1.2.0 always signs with AMZN-PAY-RSASSA-PSS-V2 (no algorithm setting)",
        "loads PKCS#8 and PKCS#1 (OpenSSL::PKey::RSA)",
    ),
    "dotnet": ("privateKey takes the file's path (or the PEM text); PKCS#8 and PKCS#1 load",),
}
_DEFAULT_KEY_NOTES = ("loads PKCS#8 and PKCS#1 private keys",)


def _notes(sdk: str, s: Settings) -> list[str]:
    notes = _java_notes(s) if sdk == "java" else list(_KEY_NOTES.get(sdk, _DEFAULT_KEY_NOTES))
    if s.sandbox is None:
        notes.append("no sandbox setting: the ID's prefix selects the environment")
    notes.append("keep the private key out of source control; load it from a secret store in production")
    return notes


def _java_notes(s: Settings) -> list[str]:
    """The Java block's imports, and whether its key file loads: the Java SDK takes only PKCS#8."""
    imports = (
        "imports: com.amazon.pay.api.PayConfiguration, com.amazon.pay.api.types.Region"
        + (", com.amazon.pay.api.types.Environment" if s.sandbox is not None else "")
        + ", java.nio.file.Files, java.nio.file.Paths"
    )
    if s.pkcs8:
        return [imports, "the Java SDK loads only PKCS#8 (BEGIN PRIVATE KEY): this key file is PKCS#8"]
    return [
        imports,
        "the Java SDK loads only PKCS#8 (BEGIN PRIVATE KEY) and this key file is not: convert a copy with "
        f"`openssl pkcs8 -topk8 -nocrypt -in {s.private_key} -out privateKey.pkcs8.pem` and name that file",
    ]


def block(sdk: str, settings: Settings) -> Block:
    build, language = _BUILDERS[sdk]
    return Block(sdk, language, build(settings), _notes(sdk, settings))
