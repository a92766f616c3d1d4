#!/usr/bin/env python
"""Command-line entry point of the development identity provider."""

import os
import sys
from pathlib import Path


def main():
    # devidp/ is not a package of the main app: put it on the path so this works from the repo root.
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    # Assigned, not setdefault: a shell or test runner of the main app may export its own
    # DJANGO_SETTINGS_MODULE, and the IdP must never start with those settings.
    os.environ["DJANGO_SETTINGS_MODULE"] = "devidp_site.settings"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
