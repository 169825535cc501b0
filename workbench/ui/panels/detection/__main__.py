from workbench.ui.panels.detection.panel import main

raise SystemExit(main())
