"""``python -m workbench.ui.panels.faces``: the Faces panel on its own, with the demo source."""
from workbench.ui.panels.faces.panel import main

raise SystemExit(main())
