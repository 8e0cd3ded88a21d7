"""Clinical knowledge (BZRA drugs, equivalence tables, co-medication classes, condition code sets).

The facts live in YAML under `data/`, each with its source; this package loads and checks them.
"""

from service.knowledge.loader import DATA_DIR, KnowledgeError, load_knowledge
from service.knowledge.models import (
    BzraDrug,
    ComedicationClass,
    ConditionGroup,
    Eq10,
    EquivalenceTable,
    Knowledge,
    KnowledgeFile,
)

__all__ = [
    "DATA_DIR",
    "BzraDrug",
    "ComedicationClass",
    "ConditionGroup",
    "Eq10",
    "EquivalenceTable",
    "Knowledge",
    "KnowledgeError",
    "KnowledgeFile",
    "load_knowledge",
]
