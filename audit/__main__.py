from audit.cli import command

raise SystemExit(command())
