"""Every threshold of the bank linter in one place: tuning a rule is one edit here, and the README quotes them."""
from __future__ import annotations

# ---- one item ---------------------------------------------------------------------------------------------

#: the key of a single choice is flagged as the longest option when it is at least this many times as long
#: as the longest distractor …
KEY_LONGEST_RATIO = 1.25
#: … and at least this many characters longer (folded text: no spaces or punctuation)
KEY_LONGEST_MIN_EXTRA = 3

#: an option contained in another counts as an overlap when it has at least this many characters
OPTION_CONTAINED_MIN_CHARS = 2

#: a fill-in blank whose only accepted answer has at least this many characters needs alternatives
FILL_LONG_SINGLE_ANSWER = 6

#: an item's content is filed in the wrong area when another area's keywords (question_bank.areas, weighted by
#: length: a 4-character keyword scores 8) score at least this much …
AREA_MIN_SCORE = 20.0
#: … and the filed area's own keywords score at most this share of it
AREA_FILED_SHARE = 0.25

# ---- pairs of items -----------------------------------------------------------------------------------------

#: two items are near-duplicates when the character bigrams of stem + options have at least this Jaccard similarity
NEAR_DUPLICATE = 0.75

#: another item's stem or explanation gives away a key when it holds this share of the key's bigrams …
GIVEAWAY_KEY_COVER = 0.8
#: … holds less than this share of any distractor's bigrams (otherwise it merely lists the options) …
GIVEAWAY_DISTRACTOR_COVER = 0.5
#: … and holds this share of the stem's bigrams, weighted by rarity (idf) across the bank
GIVEAWAY_CONTEXT = 0.4
#: a key this long (characters), found almost whole (GIVEAWAY_SELF_EVIDENT_COVER), gives itself away without context
GIVEAWAY_SELF_EVIDENT_CHARS = 8
GIVEAWAY_SELF_EVIDENT_COVER = 0.9
#: a true/false statement (of at least GIVEAWAY_MIN_STATEMENT_CHARS characters) is given away when another text
#: holds this share of its bigrams (idf-weighted)
GIVEAWAY_STATEMENT = 0.8
GIVEAWAY_MIN_STATEMENT_CHARS = 10
#: keys shorter than this (characters) are too common to be given away by anything
GIVEAWAY_MIN_KEY_CHARS = 2

#: each item shows at most this many partners per pair rule (near-duplicates; texts giving its key away; keys its
#: texts give away): the first in the items' order, then how many more it has
PAIR_PARTNERS = 5
#: an item is in a crowd of near-copies when the items whose rarest stem-and-option bigrams (those of which any
#: near-duplicate holds one) share one with its own, counted once per bigram, are more than this many: a normal bank's
#: items have a few dozen, at most 150 in a generated 10,000-item bank; an item of a dump written from 16 templates
#: has 300 to 4,000
PAIR_CROWD = 600
#: … and such an item is judged against this many candidates only, the first in the items' order (it would
#: otherwise be compared with hundreds that are alike but not near-duplicates)
PAIR_CANDIDATES = 10

# ---- bank-wide rates --------------------------------------------------------------------------------------

#: a rate is judged only over at least this many items
RATE_MIN_ITEMS = 20
#: a rate is flagged when it is this many standard deviations from chance …
RATE_Z = 3.0
#: … and at least this far from it (absolute share)
RATE_MIN_GAP = 0.05
