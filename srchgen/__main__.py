from srchgen.cli import main

main()
