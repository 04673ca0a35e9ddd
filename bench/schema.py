"""The synthetic N-table schema of shared/reference/anchor-figures.md, as SQL.

N tables `public.t0001 ...`, each with 13 columns (bigint identity PK, FK
`parent_id` to the previous table, varchar(32), int default 0, one of 20
shared enums with a default, numeric(12,2) default 0, int, timestamptz default
now(), timestamptz, jsonb default '{}', text default '', boolean default true,
float8), an index on created_at, a partial index `(tenant_id) WHERE
is_active`, unique (tenant_id, code) and check (amount >= 0).
"""

from __future__ import annotations

from collections.abc import Iterator

ENUMS = 20


def table_name(i: int) -> str:
    """The name of the i-th table (1-based)."""
    return f"t{i:05d}"


def statements(n: int) -> Iterator[str]:
    """The CREATE statements of the N-table schema, one per object."""
    for e in range(1, ENUMS + 1):
        yield f"CREATE TYPE public.status_{e:02d} AS ENUM ('new', 'active', 'suspended', 'closed')"
    for i in range(1, n + 1):
        t = table_name(i)
        enum = f"status_{(i - 1) % ENUMS + 1:02d}"
        parent = f" REFERENCES public.{table_name(i - 1)} (id)" if i > 1 else ""
        yield (
            f"CREATE TABLE public.{t} (\n"
            "  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
            f"  parent_id bigint{parent},\n"
            "  code varchar(32) NOT NULL,\n"
            "  tenant_id integer NOT NULL DEFAULT 0,\n"
            f"  status public.{enum} NOT NULL DEFAULT 'new',\n"
            "  amount numeric(12,2) NOT NULL DEFAULT 0,\n"
            "  quantity integer,\n"
            "  created_at timestamptz NOT NULL DEFAULT now(),\n"
            "  updated_at timestamptz,\n"
            "  payload jsonb NOT NULL DEFAULT '{}',\n"
            "  note text NOT NULL DEFAULT '',\n"
            "  is_active boolean NOT NULL DEFAULT true,\n"
            "  score double precision,\n"
            f"  CONSTRAINT {t}_tenant_code_key UNIQUE (tenant_id, code),\n"
            f"  CONSTRAINT {t}_amount_check CHECK (amount >= 0)\n"
            ")"
        )
        yield f"CREATE INDEX {t}_created_at_idx ON public.{t} (created_at)"
        yield f"CREATE INDEX {t}_active_tenant_idx ON public.{t} (tenant_id) WHERE is_active"


def sql(n: int) -> str:
    """The whole N-table schema as one script."""
    return ";\n".join(statements(n)) + ";\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(sql(int(sys.argv[1]) if len(sys.argv) > 1 else 100))
