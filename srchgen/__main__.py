from srchgen.cli.commands import main

main()
