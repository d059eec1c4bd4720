"""``python -m rndi.connect.devops_fulfillment_framework``: the ``rndi-saga`` command."""

import sys

from rndi.connect.devops_fulfillment_framework.cli import main

sys.exit(main())
