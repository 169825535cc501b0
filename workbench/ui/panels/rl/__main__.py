from workbench.ui.panels.rl.panel import main

raise SystemExit(main())
