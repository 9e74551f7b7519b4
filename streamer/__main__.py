from streamer.cli.main import main

raise SystemExit(main())
