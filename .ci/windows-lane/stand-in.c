/* A stand-in for a Git for Windows program the Windows lane cannot have (MSYS bash.exe, git.exe).
 * It exists so that keygen finds a Git for Windows tree laid out as the installer lays it; if
 * anything runs it, it says what it is on stderr and exits 127, so no test can pass by accident. */
#include <stdio.h>

int main(int argc, char **argv) {
    fprintf(stderr, "stand-in %s: not available in the Windows lane (no MSYS programs run under Wine)\n",
            argc > 0 ? argv[0] : "?");
    return 127;
}
