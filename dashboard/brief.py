"""``python -m dashboard.brief``: kept as the data contract names it; the command lives in
:mod:`dashboard.briefing.cli`."""
from dashboard.briefing.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
