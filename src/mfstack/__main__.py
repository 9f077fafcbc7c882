from mfstack.cli.main import main

main()
