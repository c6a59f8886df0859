
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mlf' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mlf'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mlf' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a store (`.mlf/`) in a directory')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command as a tracked run, or start and end runs by hand')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Log params, metrics, tags and artifacts to a run')
            [CompletionResult]::new('runs', 'runs', [CompletionResultType]::ParameterValue, 'List, show, delete and restore runs')
            [CompletionResult]::new('experiments', 'experiments', [CompletionResultType]::ParameterValue, 'Create, list, rename, delete and restore experiments')
            [CompletionResult]::new('exp', 'exp', [CompletionResultType]::ParameterValue, 'Create, list, rename, delete and restore experiments')
            [CompletionResult]::new('artifacts', 'artifacts', [CompletionResultType]::ParameterValue, 'List, download and upload the artifacts of a run')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completion scripts and man pages (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;init' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;run' {
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Experiment (name or id) for the run; a new name creates it [default: `Default`]')
            [CompletionResult]::new('--experiment', '--experiment', [CompletionResultType]::ParameterName, 'Experiment (name or id) for the run; a new name creates it [default: `Default`]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Name of the run [default: generated, such as `swift-otter-417`]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the run [default: generated, such as `swift-otter-417`]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A param of the run (repeatable)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A param of the run (repeatable)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'A tag of the run (repeatable)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A tag of the run (repeatable)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--capture-metrics', '--capture-metrics', [CompletionResultType]::ParameterName, 'Log `key=value` and `epoch N: key value` lines of the command''s stdout as metrics')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a run and make it the active run of this store (prints its id)')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End a run: the active one, or `--run RUN`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;run;start' {
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Experiment (name or id) for the run; a new name creates it [default: `Default`]')
            [CompletionResult]::new('--experiment', '--experiment', [CompletionResultType]::ParameterName, 'Experiment (name or id) for the run; a new name creates it [default: `Default`]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Name of the run [default: generated, such as `swift-otter-417`]')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the run [default: generated, such as `swift-otter-417`]')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'A param of the run (repeatable)')
            [CompletionResult]::new('--param', '--param', [CompletionResultType]::ParameterName, 'A param of the run (repeatable)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'A tag of the run (repeatable)')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'A tag of the run (repeatable)')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;run;end' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Final status')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;run;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a run and make it the active run of this store (prints its id)')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End a run: the active one, or `--run RUN`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;run;help;start' {
            break
        }
        'mlf;run;help;end' {
            break
        }
        'mlf;run;help;help' {
            break
        }
        'mlf;log' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Log a param (write-once: the same value again is fine, a different one is refused)')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Log a metric value (NaN and ±inf allowed)')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Set a tag (overwrites the previous value)')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Copy a file or directory into the run''s artifacts')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Log many metrics, params and tags from a JSON Lines or CSV file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;log;param' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;log;metric' {
            [CompletionResult]::new('--step', '--step', [CompletionResultType]::ParameterName, 'Step of this point')
            [CompletionResult]::new('--timestamp', '--timestamp', [CompletionResultType]::ParameterName, 'Time of this point in milliseconds since the epoch [default: now]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;log;tag' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;log;artifact' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Directory inside the run''s artifacts to copy into [default: the root]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;log;batch' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'File to read (`-` for standard input)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'File to read (`-` for standard input)')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Format of the file [default: from the extension, else from the first character]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;log;help' {
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Log a param (write-once: the same value again is fine, a different one is refused)')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Log a metric value (NaN and ±inf allowed)')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Set a tag (overwrites the previous value)')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Copy a file or directory into the run''s artifacts')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Log many metrics, params and tags from a JSON Lines or CSV file')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;log;help;param' {
            break
        }
        'mlf;log;help;metric' {
            break
        }
        'mlf;log;help;tag' {
            break
        }
        'mlf;log;help;artifact' {
            break
        }
        'mlf;log;help;batch' {
            break
        }
        'mlf;log;help;help' {
            break
        }
        'mlf;runs' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List runs as a table: status, name, id, start, duration, params and latest metrics')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List runs as a table: status, name, id, start, duration, params and latest metrics')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything about one run: params, metrics, tags, git, artifacts')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete runs (they can be restored)')
            [CompletionResult]::new('rm', 'rm', [CompletionResultType]::ParameterValue, 'Delete runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore deleted runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;runs;list' {
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Only runs of this experiment (name or id); repeat for several')
            [CompletionResult]::new('--experiment', '--experiment', [CompletionResultType]::ParameterName, 'Only runs of this experiment (name or id); repeat for several')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show at most N runs (the newest)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N runs (the newest)')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Columns to show beside the run''s own, as comma-separated globs over param, metric and tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Include deleted runs')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted runs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;ls' {
            [CompletionResult]::new('-x', '-x', [CompletionResultType]::ParameterName, 'Only runs of this experiment (name or id); repeat for several')
            [CompletionResult]::new('--experiment', '--experiment', [CompletionResultType]::ParameterName, 'Only runs of this experiment (name or id); repeat for several')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Show at most N runs (the newest)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most N runs (the newest)')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Columns to show beside the run''s own, as comma-separated globs over param, metric and tag keys (`lr`, `metrics.*`, `params.opt*`, `tags.team`)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-a', '-a', [CompletionResultType]::ParameterName, 'Include deleted runs')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted runs')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;delete' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;rm' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;restore' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;runs;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List runs as a table: status, name, id, start, duration, params and latest metrics')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything about one run: params, metrics, tags, git, artifacts')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore deleted runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;runs;help;list' {
            break
        }
        'mlf;runs;help;show' {
            break
        }
        'mlf;runs;help;delete' {
            break
        }
        'mlf;runs;help;restore' {
            break
        }
        'mlf;runs;help;help' {
            break
        }
        'mlf;experiments' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an experiment')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one experiment')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename an experiment')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an experiment and its runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a deleted experiment and its runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;exp' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an experiment')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one experiment')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename an experiment')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an experiment and its runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a deleted experiment and its runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;experiments;create' {
            [CompletionResult]::new('--artifact-location', '--artifact-location', [CompletionResultType]::ParameterName, 'Directory for the artifacts of its runs [default: inside the store]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;create' {
            [CompletionResult]::new('--artifact-location', '--artifact-location', [CompletionResultType]::ParameterName, 'Directory for the artifacts of its runs [default: inside the store]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted experiments')
            [CompletionResult]::new('--deleted', '--deleted', [CompletionResultType]::ParameterName, 'Only deleted experiments')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted experiments')
            [CompletionResult]::new('--deleted', '--deleted', [CompletionResultType]::ParameterName, 'Only deleted experiments')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;list' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted experiments')
            [CompletionResult]::new('--deleted', '--deleted', [CompletionResultType]::ParameterName, 'Only deleted experiments')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;ls' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Include deleted experiments')
            [CompletionResult]::new('--deleted', '--deleted', [CompletionResultType]::ParameterName, 'Only deleted experiments')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;show' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;rename' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;rename' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;delete' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;delete' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;restore' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;exp;restore' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;experiments;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an experiment')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one experiment')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename an experiment')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an experiment and its runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a deleted experiment and its runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;experiments;help;create' {
            break
        }
        'mlf;experiments;help;list' {
            break
        }
        'mlf;experiments;help;show' {
            break
        }
        'mlf;experiments;help;rename' {
            break
        }
        'mlf;experiments;help;delete' {
            break
        }
        'mlf;experiments;help;restore' {
            break
        }
        'mlf;experiments;help;help' {
            break
        }
        'mlf;exp;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an experiment')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one experiment')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename an experiment')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an experiment and its runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a deleted experiment and its runs')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;exp;help;create' {
            break
        }
        'mlf;exp;help;list' {
            break
        }
        'mlf;exp;help;show' {
            break
        }
        'mlf;exp;help;rename' {
            break
        }
        'mlf;exp;help;delete' {
            break
        }
        'mlf;exp;help;restore' {
            break
        }
        'mlf;exp;help;help' {
            break
        }
        'mlf;artifacts' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the artifacts of a run')
            [CompletionResult]::new('ls', 'ls', [CompletionResultType]::ParameterValue, 'List the artifacts of a run')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Copy an artifact (file or directory) out of a run')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Copy a local file or directory into a run (same as `mlf log artifact`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;artifacts;list' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'List subdirectories too')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'List subdirectories too')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;artifacts;ls' {
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-R', '-R ', [CompletionResultType]::ParameterName, 'List subdirectories too')
            [CompletionResult]::new('--recursive', '--recursive', [CompletionResultType]::ParameterName, 'List subdirectories too')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;artifacts;get' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Local directory to copy into')
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Local directory to copy into')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;artifacts;put' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Directory inside the run''s artifacts to copy into [default: the root]')
            [CompletionResult]::new('-r', '-r', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--run', '--run', [CompletionResultType]::ParameterName, 'Run to log to: full id, unique id prefix or unique name [default: `MLF_RUN_ID`, `MLFLOW_RUN_ID`, then the active run]')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;artifacts;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the artifacts of a run')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Copy an artifact (file or directory) out of a run')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Copy a local file or directory into a run (same as `mlf log artifact`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;artifacts;help;list' {
            break
        }
        'mlf;artifacts;help;get' {
            break
        }
        'mlf;artifacts;help;put' {
            break
        }
        'mlf;artifacts;help;help' {
            break
        }
        'mlf;completions' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;generate' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write one man page per command into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;generate;completions' {
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;generate;man' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'out')
            [CompletionResult]::new('--store', '--store', [CompletionResultType]::ParameterName, 'Store directory to use (the folder holding `mlf.db`) instead of the nearest `.mlf`')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notices on stderr (errors and warnings still show)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mlf;generate;help' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write one man page per command into a directory')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;generate;help;completions' {
            break
        }
        'mlf;generate;help;man' {
            break
        }
        'mlf;generate;help;help' {
            break
        }
        'mlf;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create a store (`.mlf/`) in a directory')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a command as a tracked run, or start and end runs by hand')
            [CompletionResult]::new('log', 'log', [CompletionResultType]::ParameterValue, 'Log params, metrics, tags and artifacts to a run')
            [CompletionResult]::new('runs', 'runs', [CompletionResultType]::ParameterValue, 'List, show, delete and restore runs')
            [CompletionResult]::new('experiments', 'experiments', [CompletionResultType]::ParameterValue, 'Create, list, rename, delete and restore experiments')
            [CompletionResult]::new('artifacts', 'artifacts', [CompletionResultType]::ParameterValue, 'List, download and upload the artifacts of a run')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write completion scripts and man pages (for packagers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mlf;help;init' {
            break
        }
        'mlf;help;run' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start a run and make it the active run of this store (prints its id)')
            [CompletionResult]::new('end', 'end', [CompletionResultType]::ParameterValue, 'End a run: the active one, or `--run RUN`')
            break
        }
        'mlf;help;run;start' {
            break
        }
        'mlf;help;run;end' {
            break
        }
        'mlf;help;log' {
            [CompletionResult]::new('param', 'param', [CompletionResultType]::ParameterValue, 'Log a param (write-once: the same value again is fine, a different one is refused)')
            [CompletionResult]::new('metric', 'metric', [CompletionResultType]::ParameterValue, 'Log a metric value (NaN and ±inf allowed)')
            [CompletionResult]::new('tag', 'tag', [CompletionResultType]::ParameterValue, 'Set a tag (overwrites the previous value)')
            [CompletionResult]::new('artifact', 'artifact', [CompletionResultType]::ParameterValue, 'Copy a file or directory into the run''s artifacts')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Log many metrics, params and tags from a JSON Lines or CSV file')
            break
        }
        'mlf;help;log;param' {
            break
        }
        'mlf;help;log;metric' {
            break
        }
        'mlf;help;log;tag' {
            break
        }
        'mlf;help;log;artifact' {
            break
        }
        'mlf;help;log;batch' {
            break
        }
        'mlf;help;runs' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List runs as a table: status, name, id, start, duration, params and latest metrics')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show everything about one run: params, metrics, tags, git, artifacts')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore deleted runs')
            break
        }
        'mlf;help;runs;list' {
            break
        }
        'mlf;help;runs;show' {
            break
        }
        'mlf;help;runs;delete' {
            break
        }
        'mlf;help;runs;restore' {
            break
        }
        'mlf;help;experiments' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an experiment')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List experiments')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one experiment')
            [CompletionResult]::new('rename', 'rename', [CompletionResultType]::ParameterValue, 'Rename an experiment')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an experiment and its runs (they can be restored)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore a deleted experiment and its runs')
            break
        }
        'mlf;help;experiments;create' {
            break
        }
        'mlf;help;experiments;list' {
            break
        }
        'mlf;help;experiments;show' {
            break
        }
        'mlf;help;experiments;rename' {
            break
        }
        'mlf;help;experiments;delete' {
            break
        }
        'mlf;help;experiments;restore' {
            break
        }
        'mlf;help;artifacts' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the artifacts of a run')
            [CompletionResult]::new('get', 'get', [CompletionResultType]::ParameterValue, 'Copy an artifact (file or directory) out of a run')
            [CompletionResult]::new('put', 'put', [CompletionResultType]::ParameterValue, 'Copy a local file or directory into a run (same as `mlf log artifact`)')
            break
        }
        'mlf;help;artifacts;list' {
            break
        }
        'mlf;help;artifacts;get' {
            break
        }
        'mlf;help;artifacts;put' {
            break
        }
        'mlf;help;completions' {
            break
        }
        'mlf;help;generate' {
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a completion script')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Write one man page per command into a directory')
            break
        }
        'mlf;help;generate;completions' {
            break
        }
        'mlf;help;generate;man' {
            break
        }
        'mlf;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
