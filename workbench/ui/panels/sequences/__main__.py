from workbench.ui.panels.sequences.panel import main

raise SystemExit(main())
