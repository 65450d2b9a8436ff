"""The tokenizer of free text: spaCy's, with what shows nothing read as whitespace, emoji sequences and hashtags kept whole."""
import pytest

from ner_core.data.corpus import load_corpus_bytes
from ner_core.data.tokenize import invisible, tokenize, tokenize_with_offsets


def test_text_of_only_zero_width_characters_is_empty_as_whitespace_is():
    for text in ("\u200b\u200d", "\u200b \u200c \u200d\n\ufeff", "\u2060\u00ad\u200e", " \t\n"):
        assert tokenize(text) == [] and invisible(text)
    assert tokenize("Rome \u200b is\ufeff \u2060 old .") == [["Rome", "is", "old", "."]]  # a stray U+FEFF: a space


def test_joiners_inside_a_visible_word_are_kept():
    persian, devanagari = "می\u200cخواهم", "क्\u200dष"  # U+200C / U+200D shape these words
    assert tokenize(f"{persian} {devanagari}") == [[persian, devanagari]]
    assert not invisible(persian) and not invisible("\u0600")  # a format character that shows: ARABIC NUMBER SIGN


@pytest.mark.parametrize("text, tokens", [
    ("👩🏽\u200d💻", ["👩🏽\u200d💻"]),  # spaCy alone: 3 tokens, one of them '🏽\u200d'
    ("👨\u200d👩\u200d👧\u200d👦", ["👨\u200d👩\u200d👧\u200d👦"]),  # spaCy alone: 7, 3 of them a lone joiner
    ("Hi👋🏽 #️⃣ 1️⃣ 🇫🇷🇩🇪 ❤️ 🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f ok",
     ["Hi", "👋🏽", "#️⃣", "1️⃣", "🇫🇷", "🇩🇪", "❤️", "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "ok"]),
    ("👍👍 ok", ["👍", "👍", "ok"]),  # two emoji: two tokens, as spaCy has them
    ("  \U0001f3fd x", ["\U0001f3fd", "x"]),  # a modifier after spaces: spaCy's whitespace token is not merged into it
])
def test_an_emoji_sequence_is_one_token_at_its_offset(text, tokens):
    found = [t for sentence in tokenize_with_offsets(f"Ana {text} .") for t in sentence]
    assert [t.text for t in found] == ["Ana", *tokens, "."]
    assert all(f"Ana {text} ."[t.start:t.start + len(t.text)] == t.text for t in found)


def test_a_hashtag_is_one_token_as_a_mention_is():
    text = "Loving #iPhone15 from @Apple_Inc!! (#NYC2026) \"#quoted\" #日本 # alone, issue #5 ## ok"
    found = [t for sentence in tokenize_with_offsets(text) for t in sentence]
    assert [t.text for t in found] == ["Loving", "#iPhone15", "from", "@Apple_Inc", "!", "!", "(", "#NYC2026", ")", '"',
                                       "#quoted", '"', "#", "日", "本", "#", "alone", ",", "issue", "#5", "#", "#", "ok"]
    assert all(text[t.start:t.start + len(t.text)] == t.text for t in found)


def test_hashtags_links_and_emoji_after_a_sentence_end_it_rather_than_make_one():
    assert tokenize("the Nile at sunset!!! #Egypt #travel") == [["the", "Nile", "at", "sunset", "!", "!", "!", "#Egypt", "#travel"]]
    assert tokenize("which is better ?? 🤔") == [["which", "is", "better", "?", "?", "🤔"]]
    assert tokenize("Go team! @NBA https://nba.com") == [["Go", "team", "!", "@NBA", "https://nba.com"]]
    assert tokenize("#blessed") == [["#blessed"]] and tokenize("It rained. 2020 was bad.") == [
        ["It", "rained", "."], ["2020", "was", "bad", "."]]  # a sentence with a word of its own stays one
    assert tokenize("Loved the sunset!!! #Egypt #travel Which is better ?? 🤔 Go team!") == [  # where spaCy ends them
        ["Loved", "the", "sunset", "!", "!", "!", "#Egypt", "#travel"], ["Which", "is", "better", "?", "?", "🤔"], ["Go", "team", "!"]]
    assert tokenize("Great day!\n#Monday meeting at noon.") == [["Great", "day", "!"], ["#Monday", "meeting", "at", "noon", "."]]
    assert tokenize("Thanks @jack. @jill you too.") == [["Thanks", "@jack", "."], ["@jill", "you", "too", "."]]


def test_chinese_and_japanese_are_read_a_character_a_token():
    text = "习近平在北京会见了国务卿。iPhone发布 2024年 東京タワーへ! Привет мир."
    found = tokenize_with_offsets(text)
    assert [[t.text for t in s] for s in found] == [
        ["习", "近", "平", "在", "北", "京", "会", "见", "了", "国", "务", "卿", "。"],
        ["iPhone", "发", "布", "2024", "年", "東", "京", "タ", "ワ", "ー", "へ", "!"], ["Привет", "мир", "."]]
    assert all(text[t.start:t.start + len(t.text)] == t.text for s in found for t in s)


def test_a_plain_sentence_is_tokenised_as_spacy_does():
    import spacy

    text = "Müller's café (Zürich) charged $5.50 — didn't it?  Yes: e-mail me at a@b.org!\nDr. Ng left."
    plain = spacy.blank("en")(text)
    assert [t.text for s in tokenize_with_offsets(text) for t in s] == [t.text for t in plain if not t.is_space]
    assert [t.start for s in tokenize_with_offsets(text) for t in s] == [t.idx for t in plain if not t.is_space]


def test_an_initialism_in_lower_case_is_one_token_and_ends_no_sentence():
    """helper-78: Predict's lower-cased example "a key u.s. ally" read as two sentences, "... u.s" "." and "ally ..."."""
    for text, token in (("they met a key u.s. ally in the war .", "u.s."), ("They met a key U.S. ally in the war.", "U.S."),
                        ("the talks , e.g. in geneva , went on .", "e.g.")):
        [sentence] = tokenize_with_offsets(text)
        assert token in [t.text for t in sentence]
    assert [[t.text for t in s] for s in tokenize_with_offsets("Visit www.u.s.gov now. Then stop.")] == [
        ["Visit", "www.u.s.gov", "now", "."], ["Then", "stop", "."]]


def test_character_spans_over_an_emoji_sequence_line_up():
    text = "Ana 👩🏽\u200d💻 codes in Paris"
    record = '{"text": "%s", "label": [[4, 8, "emoji"], [18, 23, "geo"]]}' % text
    read = load_corpus_bytes(record.encode(), "x.jsonl")
    assert read.sentences[0].words == ("Ana", "👩🏽\u200d💻", "codes", "in", "Paris")
    assert read.sentences[0].tags == ("O", "B-emoji", "O", "O", "B-geo")


def test_text_without_full_stops_is_cut_into_even_pieces_of_at_most_the_limit():
    from ner_core.data.tokenize import MAX_SENTENCE_TOKENS, even_pieces

    words = [f"w{i}" for i in range(2 * MAX_SENTENCE_TOKENS + 1)]
    pieces = tokenize(" ".join(words))
    assert [len(p) for p in pieces] == [167, 167, 167] and [w for p in pieces for w in p] == words
    assert even_pieces(words[:MAX_SENTENCE_TOKENS]) == [words[:MAX_SENTENCE_TOKENS]]  # at the limit: whole
    named = ["the"] * 214 + ["United", "Nations"] + ["said"] * 214  # the even cut falls inside the name (helper-94)
    assert [p[-2:] for p in even_pieces(named)] == [["the", "the"], ["said", "said"]] and sum(map(len, even_pieces(named))) == 430
    assert [len(p) for p in even_pieces(named)] == [213, 217]
    dense = ["a", "b", "Cc", "Dd", "Ee"] * 200  # each cut moved back to an "a | b": no short piece left at the end
    assert max(map(len, even_pieces(dense))) <= MAX_SENTENCE_TOKENS and min(map(len, even_pieces(dense))) > 150  # helper-95


def test_a_zero_width_space_between_words_separates_them():
    """helper-94: "in\u200bWashington" was one token, and Washington was lost; the offsets stay the text's."""
    from ner_core.data.tokenize import tokenize_with_offsets

    text = "Blair met him in\u200bWashington\ufeffon Friday."
    [sentence] = tokenize_with_offsets(text)
    assert [t.text for t in sentence] == ["Blair", "met", "him", "in", "Washington", "on", "Friday", "."]
    assert all(text[t.start:t.start + len(t.text)] == t.text for t in sentence)


def test_new_text_is_tokenised_as_its_corpus_writes_hyphenated_words_and_possessives(corpus):
    """helper-74: the corpus kept "Long-term" and "Parkinson's" whole, New text split them with spaCy, and the
    training data mixed both. The default corpus keeps hyphenated words whole and splits the possessive."""
    from ner_core.data.corpus import load_unlabelled
    from ner_core.data.tokenize import TokenStyle

    assert TokenStyle.of(w for s in corpus for w in s.words) == TokenStyle(hyphens=True, possessives=False)
    assert TokenStyle.of(["Long-term", "use", "of", "-", "Parkinson's", "first-line"]) == TokenStyle(True, True)
    text = "Long-term use of first-line drugs for Parkinson's - at last - works (state-of-the-art)."
    words = [[t.text for t in s] for s in tokenize_with_offsets(text, TokenStyle(hyphens=True, possessives=True))]
    assert words == [["Long-term", "use", "of", "first-line", "drugs", "for", "Parkinson's", "-", "at", "last", "-", "works",
                      "(", "state-of-the-art", ")", "."]]  # a spaced dash stays a token
    assert [t.text for t in tokenize_with_offsets(text)[0][:3]] == ["Long", "-", "term"]  # spaCy's, without a style
    read = load_unlabelled(text.encode(), "new.txt", style=TokenStyle(hyphens=True))
    assert read.sentences[0].words[:2] == ("Long-term", "use") and "Parkinson" in read.sentences[0].words
    assert "words kept whole as the corpus writes them (long-term): 3" in read.summary()


def test_a_list_items_number_stays_with_its_sentence():
    """helper-94: "1. Iran denied the report." was two sentences, "1 ." one of them (and a pool item)."""
    assert tokenize("1. Iran denied the report. 2. Syria agreed.\n3.\nIt rained.") == [
        ["1", ".", "Iran", "denied", "the", "report", "."], ["2", ".", "Syria", "agreed", "."], ["3", "."], ["It", "rained", "."]]
    assert tokenize("The score was 2. Then it rained.") == [["The", "score", "was", "2", "."], ["Then", "it", "rained", "."]]
