"""The fleet: many databases (or tenant schemas) read and migrated as one.

`targets` finds them from `[tool.schema-studio.fleet]`; `survey` makes what
they share once (the migrations' replay, the declared schema) and reads one
target on one read-only session; `sync` is `status` and `check` over the
fleet, `rollout` is `migrate` and `rollback` under a policy (parallel,
canary, halt or continue); `progress` follows one target's runner events;
`report` holds the states and reports both faces print.
"""
