"""infra/*.tf as data: parsed by python-hcl2 (in its own venv), merged, with `${local.x}` and
`${var.x}` references resolvable for checks. No terraform binary and no provider are involved, so
this reads what is written, not what a plan would compute."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

# Runs inside .venv-hcl2: every .tf file → {file name: parsed}, strings without their quotes.
_LOADER = """
import json, sys
from pathlib import Path
import hcl2
options = hcl2.SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=True)
out = {p.name: hcl2.load(p.open(), serialization_options=options) for p in sorted(Path(sys.argv[1]).glob("*.tf"))}
json.dump(out, sys.stdout)
"""

_REF = re.compile(r"\$\{(local|var)\.([A-Za-z0-9_]+)\}")


@dataclass
class Terraform:
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    var_values: dict[str, Any] = field(default_factory=dict)

    def resource(self, kind: str, name: str) -> dict[str, Any]:
        assert name in self.resources.get(kind, {}), f"infra/ has no {kind}.{name}"
        return self.resources[kind][name]

    def of_kind(self, kind: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(kind, {})

    def all_resources(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for kind, named in self.resources.items():
            for name, body in named.items():
                yield kind, name, body

    def var(self, name: str) -> Any:
        if name in self.var_values:
            return self.var_values[name]
        assert name in self.variables, f"no variable {name}"
        assert "default" in self.variables[name], f"variable {name} has no default and no test value"
        return self.variables[name]["default"]

    def resolve(self, value: Any, *, depth: int = 0) -> Any:
        """Substitute `${local.x}` and `${var.x}` (recursively) in a string; other expressions stay."""
        assert depth < 20, f"references nest too deep at {value!r}"
        if isinstance(value, list):
            return [self.resolve(v, depth=depth + 1) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v, depth=depth + 1) for k, v in value.items()}
        if not isinstance(value, str):
            return value
        whole = _REF.fullmatch(value)
        if whole:  # a bare reference keeps the referenced value's type (lists, maps)
            kind, name = whole.groups()
            target = self.locals[name] if kind == "local" else self.var(name)
            return self.resolve(target, depth=depth + 1)

        def one(match: re.Match[str]) -> str:
            kind, name = match.groups()
            target = self.locals[name] if kind == "local" else self.var(name)
            resolved = self.resolve(target, depth=depth + 1)
            assert isinstance(resolved, str), f"{match[0]} is not a string"
            return resolved

        return _REF.sub(one, value)


def block(value: Any) -> dict[str, Any]:
    """A nested block written once (`build_config { ... }`), which the parser gives as a list."""
    if isinstance(value, list):
        assert len(value) == 1, f"expected one block, found {len(value)}"
        value = value[0]
    assert isinstance(value, dict), f"not a block: {value!r}"
    return value


def blocks(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def parse(python: Path, infra: Path = INFRA) -> dict[str, Any]:
    done = subprocess.run([str(python), "-c", _LOADER, str(infra)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"python-hcl2 could not parse infra/:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout)


def load(python: Path, var_values: Mapping[str, Any], infra: Path = INFRA) -> Terraform:
    tf = Terraform(var_values=dict(var_values))
    for file_name, parsed in parse(python, infra).items():
        for item in parsed.get("resource", []):
            for kind, named in item.items():
                for name, body in named.items():
                    assert name not in tf.resources.get(kind, {}), f"{kind}.{name} twice ({file_name})"
                    tf.resources.setdefault(kind, {})[name] = body
        for item in parsed.get("data", []):
            for kind, named in item.items():
                for name, body in named.items():
                    tf.data.setdefault(kind, {})[name] = body
        for item in parsed.get("locals", []):
            for key, value in item.items():
                if not key.startswith("__"):
                    assert key not in tf.locals, f"local.{key} twice ({file_name})"
                    tf.locals[key] = value
        for item in parsed.get("variable", []):
            tf.variables.update(item)
        for item in parsed.get("output", []):
            tf.outputs.update(item)
    return tf
