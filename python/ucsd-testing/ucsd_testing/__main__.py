"""`python -m ucsd_testing ARGS...` runs the bundled `ucsd ARGS...`."""

import os
import subprocess
import sys

from ._binary import find_ucsd


def main() -> int:
    ucsd = os.fspath(find_ucsd())
    if sys.platform == "win32":
        return subprocess.run([ucsd, *sys.argv[1:]]).returncode
    os.execvp(ucsd, [ucsd, *sys.argv[1:]])
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
