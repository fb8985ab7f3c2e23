"""`python -m sign_ml.cli` = `sign-ml` (for torchrun, which needs a module or a file)."""

from sign_ml.cli import main

raise SystemExit(main())
