# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mlf_global_optspecs
    string join \n store= color= q/quiet h/help V/version
end

function __fish_mlf_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mlf_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mlf_using_subcommand
    set -l cmd (__fish_mlf_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mlf -n "__fish_mlf_needs_command" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_needs_command" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_needs_command" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_needs_command" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "init" -d 'Create a store (`.mlf/`) in a directory'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "run" -d 'Run a command as a tracked run, or start and end runs by hand'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "log" -d 'Log params, metrics, tags and artifacts to a run'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "runs" -d 'List, show, delete and restore runs'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "experiments" -d 'Create, list, rename, delete and restore experiments'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "exp" -d 'Create, list, rename, delete and restore experiments'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "artifacts" -d 'List, download and upload the artifacts of a run'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "generate" -d 'Write completion scripts and man pages (for packagers)'
complete -c mlf -n "__fish_mlf_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand init" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand init" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand init" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand init" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand init" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s x -l experiment -d 'Experiment (name or id) for the run; a new name creates it [default: `Default`]' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s n -l name -d 'Name of the run [default: generated, such as `swift-otter-417`]' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s p -l param -d 'A param of the run (repeatable)' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s t -l tag -d 'A tag of the run (repeatable)' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -l capture-metrics -d 'Log `key=value` and `epoch N: key value` lines of the command\'s stdout as metrics'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -a "start" -d 'Start a run and make it the active run of this store (prints its id)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -a "end" -d 'End a run: the active one, or `--run RUN`'
complete -c mlf -n "__fish_mlf_using_subcommand run; and not __fish_seen_subcommand_from start end help" -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s x -l experiment -d 'Experiment (name or id) for the run; a new name creates it [default: `Default`]' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s n -l name -d 'Name of the run [default: generated, such as `swift-otter-417`]' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s p -l param -d 'A param of the run (repeatable)' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s t -l tag -d 'A tag of the run (repeatable)' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from start" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -l status -d 'Final status' -r -f -a "finished\t''
failed\t''
killed\t''"
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from end" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from help" -f -a "start" -d 'Start a run and make it the active run of this store (prints its id)'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from help" -f -a "end" -d 'End a run: the active one, or `--run RUN`'
complete -c mlf -n "__fish_mlf_using_subcommand run; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "param" -d 'Log a param (write-once: the same value again is fine, a different one is refused)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "metric" -d 'Log a metric value (NaN and ±inf allowed)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "tag" -d 'Set a tag (overwrites the previous value)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "artifact" -d 'Copy a file or directory into the run\'s artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "batch" -d 'Log many metrics, params and tags from a JSON Lines or CSV file'
complete -c mlf -n "__fish_mlf_using_subcommand log; and not __fish_seen_subcommand_from param metric tag artifact batch help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from param" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -l step -d 'Step of this point' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -l timestamp -d 'Time of this point in milliseconds since the epoch [default: now]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from metric" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from tag" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -l to -d 'Directory inside the run\'s artifacts to copy into [default: the root]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from artifact" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -s f -l file -d 'File to read (`-` for standard input)' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -l input-format -d 'Format of the file [default: from the extension, else from the first character]' -r -f -a "jsonl\t'One JSON object per line'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from batch" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "param" -d 'Log a param (write-once: the same value again is fine, a different one is refused)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "metric" -d 'Log a metric value (NaN and ±inf allowed)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "tag" -d 'Set a tag (overwrites the previous value)'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "artifact" -d 'Copy a file or directory into the run\'s artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "batch" -d 'Log many metrics, params and tags from a JSON Lines or CSV file'
complete -c mlf -n "__fish_mlf_using_subcommand log; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "list" -d 'List runs as a table: status, name, id, start, duration, params and latest metrics'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "ls" -d 'List runs as a table: status, name, id, start, duration, params and latest metrics'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "show" -d 'Show everything about one run: params, metrics, tags, git, artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "delete" -d 'Delete runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "rm" -d 'Delete runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "restore" -d 'Restore deleted runs'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and not __fish_seen_subcommand_from list ls show delete rm restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s x -l experiment -d 'Only runs of this experiment (name or id); repeat for several' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s n -l limit -d 'Show at most N runs (the newest)' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -l columns -d 'Columns to show beside the run\'s own, as comma-separated globs over param, metric and tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`)' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s a -l all -d 'Include deleted runs'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s x -l experiment -d 'Only runs of this experiment (name or id); repeat for several' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s n -l limit -d 'Show at most N runs (the newest)' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -l columns -d 'Columns to show beside the run\'s own, as comma-separated globs over param, metric and tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`)' -r
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s a -l all -d 'Include deleted runs'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from delete" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from delete" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from rm" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from rm" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from rm" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from rm" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from rm" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from restore" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from help" -f -a "list" -d 'List runs as a table: status, name, id, start, duration, params and latest metrics'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show everything about one run: params, metrics, tags, git, artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore deleted runs'
complete -c mlf -n "__fish_mlf_using_subcommand runs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "create" -d 'Create an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "list" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "ls" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "show" -d 'Show one experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "rename" -d 'Rename an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "delete" -d 'Delete an experiment and its runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "restore" -d 'Restore a deleted experiment and its runs'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -l artifact-location -d 'Directory for the artifacts of its runs [default: inside the store]' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -l all -d 'Include deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -l deleted -d 'Only deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -l all -d 'Include deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -l deleted -d 'Only deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from rename" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from rename" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from rename" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from rename" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from delete" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from delete" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from restore" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "list" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete an experiment and its runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore a deleted experiment and its runs'
complete -c mlf -n "__fish_mlf_using_subcommand experiments; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "create" -d 'Create an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "list" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "ls" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "show" -d 'Show one experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "rename" -d 'Rename an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "delete" -d 'Delete an experiment and its runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "restore" -d 'Restore a deleted experiment and its runs'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and not __fish_seen_subcommand_from create list ls show rename delete restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -l artifact-location -d 'Directory for the artifacts of its runs [default: inside the store]' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -l all -d 'Include deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -l deleted -d 'Only deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -l all -d 'Include deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -l deleted -d 'Only deleted experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from rename" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from rename" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from rename" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from rename" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from rename" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from delete" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from delete" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from delete" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from restore" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "list" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "rename" -d 'Rename an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete an experiment and its runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Restore a deleted experiment and its runs'
complete -c mlf -n "__fish_mlf_using_subcommand exp; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -f -a "list" -d 'List the artifacts of a run'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -f -a "ls" -d 'List the artifacts of a run'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -f -a "get" -d 'Copy an artifact (file or directory) out of a run'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -f -a "put" -d 'Copy a local file or directory into a run (same as `mlf log artifact`)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and not __fish_seen_subcommand_from list ls get put help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -s R -l recursive -d 'List subdirectories too'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -l format -d 'Output format' -r -f -a "table\t'Aligned columns for people'
json\t'Pretty JSON in MLflow\'s entity shapes (stable)'
csv\t'Comma-separated values with a header row'"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -s R -l recursive -d 'List subdirectories too'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from ls" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -s o -l output-dir -d 'Local directory to copy into' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from get" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -l to -d 'Directory inside the run\'s artifacts to copy into [default: the root]' -r
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -s r -l run -d 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]' -r
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from put" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the artifacts of a run'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from help" -f -a "get" -d 'Copy an artifact (file or directory) out of a run'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from help" -f -a "put" -d 'Copy a local file or directory into a run (same as `mlf log artifact`)'
complete -c mlf -n "__fish_mlf_using_subcommand artifacts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand completions" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand completions" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "completions" -d 'Print a completion script'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "man" -d 'Write one man page per command into a directory'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and not __fish_seen_subcommand_from completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from completions" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from completions" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from completions" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from completions" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from completions" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -l out -r -F
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -l store -d 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`' -r -F
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -l color -d 'When to use colour' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -s q -l quiet -d 'Print no notices on stderr (errors and warnings still show)'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -s h -l help -d 'Print help'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from man" -s V -l version -d 'Print version'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "completions" -d 'Print a completion script'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "man" -d 'Write one man page per command into a directory'
complete -c mlf -n "__fish_mlf_using_subcommand generate; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "init" -d 'Create a store (`.mlf/`) in a directory'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "run" -d 'Run a command as a tracked run, or start and end runs by hand'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "log" -d 'Log params, metrics, tags and artifacts to a run'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "runs" -d 'List, show, delete and restore runs'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "experiments" -d 'Create, list, rename, delete and restore experiments'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "artifacts" -d 'List, download and upload the artifacts of a run'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "completions" -d 'Print a shell completion script'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "generate" -d 'Write completion scripts and man pages (for packagers)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and not __fish_seen_subcommand_from init run log runs experiments artifacts completions generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from run" -f -a "start" -d 'Start a run and make it the active run of this store (prints its id)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from run" -f -a "end" -d 'End a run: the active one, or `--run RUN`'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "param" -d 'Log a param (write-once: the same value again is fine, a different one is refused)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "metric" -d 'Log a metric value (NaN and ±inf allowed)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "tag" -d 'Set a tag (overwrites the previous value)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "artifact" -d 'Copy a file or directory into the run\'s artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from log" -f -a "batch" -d 'Log many metrics, params and tags from a JSON Lines or CSV file'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from runs" -f -a "list" -d 'List runs as a table: status, name, id, start, duration, params and latest metrics'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from runs" -f -a "show" -d 'Show everything about one run: params, metrics, tags, git, artifacts'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from runs" -f -a "delete" -d 'Delete runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from runs" -f -a "restore" -d 'Restore deleted runs'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "create" -d 'Create an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "list" -d 'List experiments'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "show" -d 'Show one experiment'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "rename" -d 'Rename an experiment'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "delete" -d 'Delete an experiment and its runs (they can be restored)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from experiments" -f -a "restore" -d 'Restore a deleted experiment and its runs'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from artifacts" -f -a "list" -d 'List the artifacts of a run'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from artifacts" -f -a "get" -d 'Copy an artifact (file or directory) out of a run'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from artifacts" -f -a "put" -d 'Copy a local file or directory into a run (same as `mlf log artifact`)'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "completions" -d 'Print a completion script'
complete -c mlf -n "__fish_mlf_using_subcommand help; and __fish_seen_subcommand_from generate" -f -a "man" -d 'Write one man page per command into a directory'
