"""`python -m service.cli …`: the same as the `bzra-cds` command."""

import sys

from service.cli.main import main

if __name__ == "__main__":  # not when a tool imports every module (the shipped-texts test does)
    sys.exit(main())
