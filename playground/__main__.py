import sys

from playground.command_line.main import main

sys.exit(main())
