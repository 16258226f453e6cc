"""`python -m hutong`: the command line."""

from hutong.cli import main

raise SystemExit(main())
