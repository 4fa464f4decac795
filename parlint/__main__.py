from parlint.linter.cli import main

raise SystemExit(main())
