import sys

from drivebot.cli import main

sys.exit(main())
