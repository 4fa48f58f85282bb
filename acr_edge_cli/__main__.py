from acr_edge_cli.cli import main

main()
