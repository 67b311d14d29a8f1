# `python -m tls12fast` runs the tls12fast command (see cli.py).
from .cli import main

raise SystemExit(main())
