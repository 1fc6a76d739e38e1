"""A pair of one sentence a side, judged against reference pairs.

Every bar the aligners use is the document's own: a typical pair and a typical
non-pair of *this* document (:func:`align.comparable.pair_levels`, the null
model of :mod:`align.continuum`), and margins against a sentence's other
candidates. One Chinese sentence against one English sentence (a headline, a
quote checked against its translation) has none of these: its only cell is
both the typical pair and the typical non-pair, its margin is 1 whatever the
two say. Auto and comparable mode left every such pair unmatched, "no
counterpart" at 0.95, a word-for-word translation included; parallel mode
linked every one at the same confidence, unrelated sentences included.

So such a pair borrows the two levels from :data:`PAIRS`, translations written
for this purpose (news, fiction, science, everyday speech; short and long),
embedded by the same encoder: a typical pair is the median cosine of the
reference's own pairs, a typical non-pair the median over the document's
sentence and the other language's reference sentences (certain non-pairs, on
the document's side of the model). The bar is halfway, as
:func:`align.comparable.pair_bar`; the confidence is a logistic through 0.5 at
the bar and ``no_counterpart_at_non_pair`` (0.95) at either level, the set
number comparable mode's unmatched sentences use. Measured in
``bench/bench_one_sentence.py``.

Only for Chinese and English (the reference's languages); another language
pair of one sentence a side keeps the regime's answer.
"""

from __future__ import annotations

import hashlib

import numpy as np

from .embed import Encoder
from .model import is_chinese, primary_language

PAIRS: tuple[tuple[str, str], ...] = (
    ("国务院总理周二在北京会见了来访的德国外长。",
     "The Premier met the visiting German foreign minister in Beijing on Tuesday."),
    ("受强降雨影响，当地三所小学暂时停课。",
     "Three local primary schools have closed for now because of heavy rain."),
    ("今年前十个月，全省外贸进出口总额同比增长百分之六点二。",
     "The province's foreign trade grew 6.2 percent year on year in the first ten months."),
    ("展会为期四天，吸引了来自五十多个国家和地区的八百余家企业参展。",
     "The four-day fair drew more than 800 exhibitors from over 50 countries and regions."),
    ("她推开窗，看见院子里的桂花已经开了。",
     "She opened the window and saw that the osmanthus in the yard had already bloomed."),
    ("老人没有回答，只是把烟斗在鞋底上磕了磕。",
     "The old man did not answer; he only knocked his pipe against the sole of his shoe."),
    ("那年冬天特别冷，河面结了厚厚的冰，孩子们整天在上面滑冰。",
     "That winter was bitterly cold, the river froze thick, and the children skated on it all day."),
    ("研究人员发现，这种蛋白质能帮助细胞修复受损的DNA。",
     "The researchers found that the protein helps cells repair damaged DNA."),
    ("新版本修复了多个安全漏洞，建议所有用户尽快更新。",
     "The new version fixes several security flaws, and all users are advised to update soon."),
    ("请问去火车站怎么走？",
     "Excuse me, how do I get to the railway station?"),
    ("我明天早上八点以前要把报告交给经理。",
     "I have to hand the report to the manager before eight tomorrow morning."),
    ("这家餐馆的饺子很好吃，但是周末总要排很长的队。",
     "The dumplings at this restaurant are delicious, but there is always a long queue at weekends."),
    ("比赛在最后一分钟被主队扳平。",
     "The home side equalised in the last minute of the match."),
    ("该公司宣布将在未来三年内投资二十亿元建设新工厂。",
     "The company announced it will invest two billion yuan over the next three years in a new plant."),
    ("会议呼吁各国加强合作，共同应对气候变化带来的挑战。",
     "The meeting called on countries to work together to meet the challenges of climate change."),
    ("他笑了笑，说这件事以后再谈吧。",
     "He smiled and said they could talk about it later."),
)


def signature() -> str:
    """Names the reference in an output's signature: a changed pair changes it."""
    return "reference-" + hashlib.sha1(repr(PAIRS).encode()).hexdigest()[:10]


def applies(src_lang: str, tgt_lang: str, n: int, m: int) -> bool:
    """One sentence a side, one Chinese and one English."""
    return n == 1 and m == 1 and {"zh", "en"} == {primary_language(src_lang),
                                                   primary_language(tgt_lang)}


def one_to_one(src: str, tgt: str, src_lang: str, encoder: Encoder,
               no_counterpart_at_non_pair: float) -> list[tuple[list[int], list[int], float]]:
    """Beads for a pair of one sentence a side: linked, or both unmatched, with a confidence
    from the reference's levels (see the module's docstring)."""
    zh, en = (src, tgt) if is_chinese(src_lang) else (tgt, src)
    vecs = encoder.encode([zh, en] + [z for z, _ in PAIRS] + [e for _, e in PAIRS])
    pair, ref_zh, ref_en = float(vecs[0] @ vecs[1]), vecs[2:2 + len(PAIRS)], vecs[2 + len(PAIRS):]
    pair_level = float(np.median(np.sum(ref_zh * ref_en, axis=1)))
    non_pair = float(np.median(np.concatenate([ref_en @ vecs[0], ref_zh @ vecs[1]])))
    r = (pair - non_pair) / max(pair_level - non_pair, 1e-6)
    slope = 2 * np.log(no_counterpart_at_non_pair / (1 - no_counterpart_at_non_pair))
    linked = float(1 / (1 + np.exp(np.clip(-slope * (r - 0.5), -50, 50))))
    if linked >= 0.5:
        return [([0], [0], linked)]
    return [([0], [], 1 - linked), ([], [0], 1 - linked)]
