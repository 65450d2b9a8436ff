import sys

try:
    from .cli import main, stop_on_sigterm

    stop_on_sigterm()
    code = main()
except KeyboardInterrupt:  # Ctrl-C before the command took over (its imports, its arguments): no traceback either
    print("interrupted", file=sys.stderr)
    code = 130
raise SystemExit(code)
