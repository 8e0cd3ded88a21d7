"""A spool directory per process: a dead process's records are taken over, an older version's spool too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from service.store.spool_dirs import claim_spool_dir


DEAD_PROCESS = """
import sys
from pathlib import Path
from service.store.shared import prune_tokens
from service.store.spool_dirs import claim_spool_dir
claimed = claim_spool_dir(Path(sys.argv[1]))
(claimed.path / "spool.jsonl").write_text('{"v": 1, "kind": "call"}\\n')
(claimed.path / "journal").mkdir()
(claimed.path / "journal" / "journal-00000000000000000001-1.jsonl").write_text('{"v": 1}\\n')
print(claimed.path.name)
"""


def test_each_process_has_its_own_spool_and_a_dead_ones_records_are_taken_over(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    dead = subprocess.run([sys.executable, "-c", DEAD_PROCESS, str(root)], capture_output=True, text=True, check=True)
    one, other = claim_spool_dir(root), claim_spool_dir(root)
    try:
        assert one.path != other.path
        assert one.path.name == dead.stdout.strip()  # the dead process's directory, taken over as it is
        assert (one.path / "spool.jsonl").exists() and (one.path / "journal").is_dir()
        assert not list(other.path.glob("*.jsonl"))
    finally:
        one.release()
        other.release()
    assert one.path.exists() and not other.path.exists()  # records left: kept; nothing left: removed
    again = claim_spool_dir(root)
    assert again.path == one.path
    again.release()


def test_an_older_versions_spool_is_taken_over(tmp_path: Path) -> None:
    root = tmp_path / "spool"
    (root / "journal").mkdir(parents=True)
    (root / "spool.jsonl").write_text('{"v": 1}\n')
    (root / "rejected.jsonl").write_text('{"v": 1}\n')
    (root / "journal" / "journal-00000000000000000001-1.jsonl").write_text('{"v": 1}\n')
    claimed = claim_spool_dir(root)
    try:
        assert [path.name for path in claimed.path.glob("replay-*.jsonl")] and (claimed.path / "rejected.jsonl").exists()
        assert list((claimed.path / "journal").glob("journal-*.jsonl"))
        assert not (root / "spool.jsonl").exists() and not list((root / "journal").glob("*.jsonl"))
    finally:
        claimed.release()
