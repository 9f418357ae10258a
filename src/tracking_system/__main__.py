"""`python -m tracking_system` is the `tracking-system` command."""

from tracking_system.cli import main

raise SystemExit(main())
