"""Stage 2: the index on disk. It never imports the stages around it.

* `paths`: the index folder's layout, atomic writes and the one-writer lock;
* `manifest`: the documents the index holds, written last;
* `chroma`: the vector store (embedded, or a Chroma server);
* `keyword`: the BM25 index with its row tables and term counts;
* `texts`: extracted text of PDF, Word and HTML sources, which citations index into;
* `check`: do the manifest, Chroma and BM25 agree;
* `search_index`: the read side, loaded once for searching.
"""
