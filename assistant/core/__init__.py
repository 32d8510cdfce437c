"""The leaf every stage imports and that imports no other part of the assistant.

* `types`: Document, DocumentRecord, Passage, Citation (made by `Citation.from_span`), Answer;
* `settings`: every setting, read from `ASSISTANT_*` variables, and the one place folders are resolved;
* `errors`: the exceptions the library raises on purpose, each saying what to do;
* `text`: the tokeniser, stemmer, stopwords, IDF, sentence spans and month table all stages share.
"""
