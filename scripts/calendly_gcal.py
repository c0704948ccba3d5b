#!/usr/bin/env python3
"""calendly-gcal: put Calendly bookings on team Google Calendars, exactly once.

python scripts/calendly_gcal.py sync --payload booking.json
python scripts/calendly_gcal.py --help
"""

import os
import sys

from calsync.cli import main

if __name__ == "__main__":
    code = main()
    # Everything is written and closed by now. Leave without interpreter finalization: a
    # native extension of the Google stack has been seen to crash there (exit 139) after a
    # successful run, which would turn a done sync into a failed, unretried job.
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader left (`| head -1`): drop the rest, quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.stderr.flush()
    os._exit(code)
