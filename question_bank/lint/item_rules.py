"""Rules that read one item (and, for some, the rate of what they look for across the bank)."""
from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from question_bank.areas import AREA_NAMES, area_scores
from question_bank.lint import thresholds as T
from question_bank.lint import words as W
from question_bank.lint.core import Finding, Rate, Rule, chance_rate, register, short
from question_bank.lint.numbers import digit_form, spoken_forms
from question_bank.lint.prepare import LintItem
from question_bank.normalize import fold_answer
from question_bank.records import OPTION_LETTERS, QuestionType

L = OPTION_LETTERS


def _letters(positions: Iterable[int]) -> str:
    return "".join(L[i] for i in sorted(positions))


@register
class KeyLongest(Rule):
    name = "key-longest"
    title = "答案是最长选项"
    advice = "把干扰项写得与答案一样具体完整, 或精简答案; 全库答案恰为最长选项的比例应接近随机。"

    def check(self, item: LintItem) -> Iterator[Finding]:
        if not item.type.is_choice:
            return
        lengths = [len(o) for o in item.options]
        keys = [lengths[i] for i in item.keyed]
        others = [n for i, n in enumerate(lengths) if i not in item.keyed]
        if not others:
            return
        shortest, longest_other = min(keys), max(others)
        if shortest >= longest_other * T.KEY_LONGEST_RATIO and shortest - longest_other >= T.KEY_LONGEST_MIN_EXTRA:
            if item.type is QuestionType.SINGLE:
                why = f"答案 {_letters(item.keyed)} 是最长的选项 ({shortest} 字, 其余最长 {longest_other} 字), 考生可凭长度猜中"
            else:
                why = (f"答案 {_letters(item.keyed)} 每项都比任何错误选项长 (最短 {shortest} 字, "
                       f"错误选项最长 {longest_other} 字), 考生可凭长度猜中")
            yield self.finding(item.key, why)

    def rates(self, items: Sequence[LintItem]) -> Iterator[Rate]:
        def single() -> Iterator[tuple[bool, float]]:
            for it in items:
                if it.type is QuestionType.SINGLE:
                    lengths = [len(o) for o in it.options]
                    top = max(lengths)
                    if lengths.count(top) == 1:  # with a tie for longest, length says nothing
                        yield lengths[it.keyed[0]] == top, 1 / len(lengths)

        def multiple() -> Iterator[tuple[bool, float]]:
            for it in items:
                if it.type is QuestionType.MULTIPLE and len(it.keyed) < len(it.options):
                    ranked = sorted((len(o) for o in it.options), reverse=True)
                    k = len(it.keyed)
                    if ranked[k - 1] > ranked[k]:  # the k longest are one set: chance picks it 1 in C(n, k)
                        keyed = sorted((len(it.options[i]) for i in it.keyed), reverse=True)
                        yield keyed == ranked[:k], 1 / math.comb(len(ranked), k)

        yield chance_rate(self.name, "单选题答案恰是唯一最长的选项", single(), sides=1)
        yield chance_rate(self.name, "多选题答案恰是最长的几项", multiple(), sides=1)


_ABSOLUTE_RE = re.compile("|".join(re.escape(w) for w in sorted(W.ABSOLUTE_WORDS, key=len, reverse=True)))


@functools.lru_cache(maxsize=20_000)
def absolute_words(text: str) -> tuple[str, ...]:
    """The absolute words of ``text`` (in order, once each), leaving out negated ones and their exceptions."""
    found: list[str] = []
    for m in _ABSOLUTE_RE.finditer(text):
        word, at = m.group(0), m.start()
        if word in found or any(text[max(at - len(n), 0):at] == n for n in W.NEGATORS):
            continue
        if any(text[at - e.index(word): at - e.index(word) + len(e)] == e
               for e in W.ABSOLUTE_WORDS[word] if at >= e.index(word)):
            continue
        found.append(word)
    return tuple(found)


@register
class AbsoluteWords(Rule):
    name = "absolute-words"
    title = "判断题的绝对化用语"
    advice = ("错的陈述别靠「一定、所有、无需、直接」等绝对化用语来写错, 对的陈述也别只靠「一般、通常」来写对; "
              "两类用语在对与错的陈述中应大致各半。")

    def check(self, item: LintItem) -> Iterator[Finding]:
        if item.type is QuestionType.TRUE_FALSE and item.record.answer is False:
            found = absolute_words(item.plain)
            if found:
                quoted = "、".join(f"「{w}」" for w in found)
                yield self.finding(item.key, f"答案为错, 且含绝对化用语{quoted}: 考生凭用语即可判错")

    def rates(self, items: Sequence[LintItem]) -> Iterator[Rate]:
        tf = [it for it in items if it.type is QuestionType.TRUE_FALSE]
        false_share = sum(it.record.answer is False for it in tf) / len(tf) if tf else 0.5
        yield chance_rate(self.name, "含绝对化用语的判断题答案为错",
                          ((it.record.answer is False, false_share) for it in tf if absolute_words(it.plain)), sides=1)
        yield chance_rate(self.name, "含限定词(一般、通常…)的判断题答案为对",
                          ((it.record.answer is True, 1 - false_share) for it in tf
                           if any(w in it.plain for w in W.HEDGE_WORDS)), sides=1)


@register
class TrueFalseBalance(Rule):
    name = "tf-balance"
    title = "判断题对错比例"
    advice = "判断题中对与错的陈述应大致各半, 否则「拿不准就选对(错)」就能多得分。"

    def rates(self, items: Sequence[LintItem]) -> Iterator[Rate]:
        yield chance_rate(self.name, "判断题答案为对",
                          ((it.record.answer is True, 0.5) for it in items if it.type is QuestionType.TRUE_FALSE))


def question_clause(stem: str) -> str:
    """The clause that asks: the last clause of the last sentence (下列做法中，【不】恰当的是（　）。 → 不恰当的是（　）)."""
    sentences = [s for s in W.SENTENCE_END_RE.split(stem) if s.strip()]
    if not sentences:
        return ""
    clauses = [c for c in W.CLAUSE_END_RE.split(sentences[-1]) if c.strip()]
    return clauses[-1] if clauses else ""


def negative_question(stem: str) -> str | None:
    """The unemphasised negative words of a stem that asks "which is not", or None."""
    plain = W.EMPHASIS_RE.sub("", stem)
    m = W.EXCEPT_RE.search(plain)
    if m:
        return m.group(0)
    clause = question_clause(plain)
    for pattern in W.NEGATIVE_QUESTION_RES:
        m = pattern.search(clause)
        if m:
            return m.group(0)
    return None


@register
class NegativeStem(Rule):
    name = "negative-stem"
    title = "否定题干未强调"
    advice = ("问「哪项不…」「错误的是」的题干, 把否定词放进全角方括号强调: 下列说法【不】正确的是、下列做法【错误】的是、"
              "【除】……外; 能改成肯定问法的更好。")

    def check(self, item: LintItem) -> Iterator[Finding]:
        if item.type.is_choice:
            found = negative_question(item.plain)
            if found:
                yield self.finding(item.key, f"否定问法「{short(found.rstrip('(（ 　'), 16)}」未强调, 考生容易看漏; 本库约定写作【不】/【错误】")


@register
class AllOrNoneOfTheAbove(Rule):
    name = "all-none-above"
    title = "以上都是 / 以上都不是"
    advice = "换成一个真正的干扰项: 「以上都是」认出两项正确就能选中, 「以上都不是」只考查考生知道什么不对。"

    def check(self, item: LintItem) -> Iterator[Finding]:
        if not item.type.is_choice:
            return
        for i, option in enumerate(item.options):
            if any(p.match(option) for p in W.ALL_NONE_RES):
                keyed = "(且是答案)" if i in item.keyed else ""
                yield self.finding(item.key, f"选项 {L[i]}「{short(item.record.options[i], 12)}」{keyed}: "
                                             "不必懂全部选项即可作答")


@register
class KeyLetter(Rule):
    name = "key-letter"
    title = "单选答案字母分布"
    advice = "答案字母应在 A、B、C、D… 之间大致均匀; 导入或编写后可以调换选项顺序。"

    def rates(self, items: Sequence[LintItem]) -> Iterator[Rate]:
        singles = [it for it in items if it.type is QuestionType.SINGLE]
        for pos in range(max((len(it.options) for it in singles), default=0)):
            yield chance_rate(self.name, f"单选题答案为 {L[pos]}",
                              ((it.keyed[0] == pos, 1 / len(it.options)) for it in singles if len(it.options) > pos))


@register
class UnkeyedPosition(Rule):
    name = "unkeyed-position"
    title = "多选错误选项位置"
    advice = "多选题的错误选项不应总在同一位置 (如总是最后一项); 调换选项顺序。"

    def rates(self, items: Sequence[LintItem]) -> Iterator[Rate]:
        multi = [it for it in items if it.type is QuestionType.MULTIPLE]
        for pos in range(max((len(it.options) for it in multi), default=0)):
            yield chance_rate(self.name, f"多选题的 {L[pos]} 为错误选项",
                              ((pos not in it.keyed, 1 - len(it.keyed) / len(it.options))
                               for it in multi if len(it.options) > pos))


_NUMBER = r"(\d+(?:\.\d+)?)"
_UNIT = r"([^\d]*?)"
#: an option that is a number or a range: (pattern, lower bound closed?, upper bound closed?, which bounds it sets)
_RANGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"{_NUMBER}{_UNIT}(?:-|~|—|–|至|到){_NUMBER}{_UNIT}"), "[]"),
    (re.compile(rf"(?:不少于|不低于|不小于|至少|大于等于|≥|>=){_NUMBER}{_UNIT}"), "[+"),
    (re.compile(rf"{_NUMBER}{_UNIT}(?:及以上|以上|或以上|及其以上)"), "[+"),
    (re.compile(rf"(?:超过|大于|多于|高于|>){_NUMBER}{_UNIT}"), "(+"),
    (re.compile(rf"(?:不超过|不高于|不多于|不大于|至多|最多|小于等于|≤|<=){_NUMBER}{_UNIT}"), "-]"),
    (re.compile(rf"{_NUMBER}{_UNIT}(?:及以下|以下|以内|之内|或以下)"), "-]"),
    (re.compile(rf"(?:少于|小于|低于|不足|不到|<){_NUMBER}{_UNIT}"), "-)"),
)


def option_range(text: str) -> tuple[float, bool, float, bool, str] | None:
    """A numeric option as (low, low included, high, high included, unit), e.g. 3–6个月 → (3, T, 6, T, 个月)."""
    s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).rstrip("。.;；")
    if not any(c.isdigit() for c in s):
        return None
    for pattern, shape in _RANGES:
        m = pattern.fullmatch(s)
        if not m:
            continue
        if shape == "[]":
            low, unit1, high, unit2 = m.groups()
            if unit1 and unit2 and unit1 != unit2:
                return None
            lo, hi = sorted((float(low), float(high)))
            return lo, True, hi, True, unit2 or unit1
        value, unit = float(m.group(1)), m.group(2)
        if shape[1] == "+":
            return value, shape[0] == "[", math.inf, False, unit
        return -math.inf, False, value, shape[1] == "]", unit
    return None


def ranges_overlap(a: tuple[float, bool, float, bool, str], b: tuple[float, bool, float, bool, str]) -> bool:
    if a[4] != b[4]:
        return False
    (lo, lo_in), (hi, hi_in) = max((a[0], a[1]), (b[0], b[1]), key=lambda x: (x[0], not x[1])), \
        min((a[2], a[3]), (b[2], b[3]), key=lambda x: (x[0], x[1]))
    return lo < hi or (lo == hi and lo_in and hi_in)


@register
class OptionOverlap(Rule):
    name = "option-overlap"
    title = "选项重复或重叠"
    advice = "每个选项应互不包含: 去掉重复项, 把被包含的选项改成独立的说法, 数值区间首尾不要相接。"

    def check(self, item: LintItem) -> Iterator[Finding]:
        if not item.type.is_choice:
            return
        opts, raw = item.exact_options, item.record.options
        ranges = [option_range(o) for o in raw]
        for i in range(len(opts)):
            for j in range(i + 1, len(opts)):
                a, b = opts[i], opts[j]
                if a and a == b:
                    yield self.finding(item.key, f"选项 {L[i]} 与 {L[j]} 相同「{short(raw[i], 12)}」")
                elif ranges[i] and ranges[j] and ranges_overlap(ranges[i], ranges[j]):
                    yield self.finding(item.key, f"选项 {L[i]}「{short(raw[i], 12)}」与 {L[j]}「{short(raw[j], 12)}」"
                                                 "的范围重叠")
                elif ranges[i] is None or ranges[j] is None:
                    inner, outer = (i, j) if len(a) <= len(b) else (j, i)
                    if self._contained(opts[inner], opts[outer]):
                        yield self.finding(item.key, f"选项 {L[inner]}「{short(raw[inner], 12)}」包含在选项 {L[outer]}"
                                                     f"「{short(raw[outer], 16)}」中, 两项界限不清")

    @staticmethod
    def _contained(inner: str, outer: str) -> bool:
        if len(inner) < T.OPTION_CONTAINED_MIN_CHARS or inner == outer or inner not in outer:
            return False
        return re.search(rf"(?<!\d){re.escape(inner)}(?!\d)", outer) is not None


@register
class AreaMismatch(Rule):
    name = "area-mismatch"
    title = "内容与知识领域不符"
    advice = "把题目改归它实际考查的知识领域 (引用法律法规的题目归 B30 法律知识), 否则试卷的知识比重会失真。"

    def check(self, item: LintItem) -> Iterator[Finding]:
        r = item.record
        filed = f"{r.area} {AREA_NAMES.get(r.area, '')}"
        answers = [a for alts in r.answer for a in alts] if r.type is QuestionType.FILL_BLANK else []
        text = " ".join((item.plain, *r.options, *answers))
        if r.area != W.LAW_AREA:
            law = W.LAW_TITLE_RE.search(text)
            name = law.group(0) if law else next((n for n in W.LAW_NAMES if n in text), None)
            if name:
                yield self.finding(item.key, f"题目引用{name if law else '《' + name + '》'}, 属于 {W.LAW_AREA} "
                                             f"{AREA_NAMES[W.LAW_AREA]}, 却归在 {filed}")
                return
        scores = area_scores(text)
        if not scores:
            return
        best = max(scores, key=lambda c: scores[c][0])
        score, hits = scores[best]
        own = scores.get(r.area, (0.0, ()))[0]
        if best != r.area and score >= T.AREA_MIN_SCORE and own <= score * T.AREA_FILED_SHARE:
            yield self.finding(item.key, f"内容更像 {best} {AREA_NAMES[best]} (关键词: {'、'.join(hits[:4])}), "
                                         f"却归在 {filed}")


_FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}


def answer_variants(answer: str) -> Iterator[tuple[str, str]]:
    """(kind, variant) for the forms a trainee may type the same answer in."""
    a = re.sub(r"\s+", "", unicodedata.normalize("NFKC", answer))
    for spoken in spoken_forms(a):
        yield "汉字数字", spoken
    digits = digit_form(a)
    if digits:
        yield "阿拉伯数字", digits
    if len(a) >= 3 and "的" in a[1:-1]:
        yield "去掉「的」", a[0] + a[1:-1].replace("的", "") + a[-1]
    if any(c.isascii() and c.isalnum() for c in a):
        yield "全角字母数字", answer.translate(_FULL_WIDTH)
        yield "大小写", a.swapcase()


@register
class FillAlternatives(Rule):
    name = "fill-alternatives"
    title = "填空缺少常见写法"
    advice = ("每空列出考生自然会写的其他写法, 用 | 分隔: 数字与汉字 (48|四十八), 有无「的」, 常见同义说法; "
              "宽窄字符、大小写、空格和标点阅卷时已自动忽略。")

    def check(self, item: LintItem) -> Iterator[Finding]:
        if item.type is not QuestionType.FILL_BLANK:
            return
        for n, alternatives in enumerate(item.record.answer, 1):
            accepted = {fold_answer(a) for a in alternatives}
            missing: dict[str, str] = {}
            for a in alternatives:
                variants = list(answer_variants(a))
                kinds = {kind for kind, _ in variants}
                for kind in kinds:
                    forms = [v for k, v in variants if k == kind]
                    if kind not in missing and not any(fold_answer(v) in accepted for v in forms):
                        missing[kind] = forms[0]
            shown = " / ".join(alternatives)
            for kind, variant in missing.items():
                yield self.finding(item.key, f"第 {n} 空只接受「{short(shown, 20)}」, 写作「{variant}」({kind}) 的考生不得分")
            if len(alternatives) == 1 and len(fold_answer(alternatives[0])) >= T.FILL_LONG_SINGLE_ANSWER and not missing:
                yield self.finding(item.key, f"第 {n} 空只接受「{short(shown, 20)}」({len(fold_answer(shown))} 字), "
                                             "措辞稍有不同即判错")
