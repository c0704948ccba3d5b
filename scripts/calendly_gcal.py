#!/usr/bin/env python3
"""calendly-gcal: put Calendly bookings on team Google Calendars, exactly once.

python scripts/calendly_gcal.py sync --payload booking.json
python scripts/calendly_gcal.py --help
"""

import sys

from calsync.cli import main

if __name__ == "__main__":
    sys.exit(main())
