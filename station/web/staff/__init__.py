"""Staff pages under one blueprint, :data:`staff` (``/staff/...``; endpoints ``staff.<view>``),
one module per area:

- :mod:`.signin`: the first account with the setup code, sign-in and sign-out;
- :mod:`.home`: the staff home (the station's state, the first-run checklist) and the staff guide;
- :mod:`.recover`: a forgotten password reset with the code the station's own screen shows;
- :mod:`.accounts`: the accounts, adding and removing one, changing your password, a colleague's
  password reset and sign-in locks cleared;
- :mod:`.settings`: the settings page, export and import;
- :mod:`.restart`: the Restart button;
- :mod:`.calibration`: the calibration steps, the wall measurement and the preview;
- :mod:`.history_page`: the history page and its CSV (the view model is :mod:`station.web.history`);
- :mod:`.health`: the health page and its JSON;
- :mod:`.backup_restore`: the backup download and the restore;
- :mod:`.bringup`: the installer's bring-up checks, their questions and the report's export.

The blueprint and what the areas share live in :mod:`.common`, which every area imports; this
module imports the areas, so that their routes are on the blueprint when it is registered.
"""

from __future__ import annotations

from station.web.staff import (  # noqa: F401  (imported for their routes)
    accounts,
    backup_restore,
    bringup,
    calibration,
    health,
    history_page,
    home,
    recover,
    restart,
    settings,
    signin,
)
from station.web.staff.common import staff

__all__ = ["staff"]
