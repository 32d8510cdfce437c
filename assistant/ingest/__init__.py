"""Stage 1: reports into the index.

* `readers/`: the text of PDF, Word, HTML, text and Markdown files, laid out for the splitter;
* `corpus`, `metadata`: the corpus folder as `Document`s, with titles, organisations and dates;
* `layout`, `passages`: the structure-aware splitter (lists, tables, sections) into exact spans;
* `glossary`: acronyms the reports define, for expanding questions;
* `pipeline`: passages through llama-index's ingestion pipeline into Chroma;
* `run`: the incremental ingest (plan, read, embed, write keyword index, views and manifest), check and repair;
* `files`, `catalog`, `library`: adding, describing and removing reports, then re-indexing.
"""
