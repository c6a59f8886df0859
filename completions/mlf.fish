complete --keep-order --exclusive --command mlf --arguments "(COMPLETE=fish mlf -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
