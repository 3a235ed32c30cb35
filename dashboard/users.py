"""``python -m dashboard.users``: kept as the data contract names it; the command lives in
:mod:`dashboard.security.users`."""
from dashboard.security.users import main

if __name__ == "__main__":
    raise SystemExit(main())
