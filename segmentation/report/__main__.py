"""`python -m segmentation.report`: write the HTML report and its PNG charts from the warehouse."""

import sys

from segmentation.report.page import main

sys.exit(main())
