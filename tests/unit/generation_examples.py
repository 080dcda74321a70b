"""Realistic chunks with answers a model gives: supported by the chunk, and not.

The support score's default threshold (``settings.DEFAULT_MIN_SUPPORT``) was chosen on
these. Supported answers are written the way instruction-tuned models answer: some quote,
most paraphrase and restate the question. Unsupported answers are the failures seen in
practice: general knowledge on the chunk's topic that the chunk does not state, wrong
details built from the chunk's own words, and answers about another part of the document.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    chunk: str
    supported: tuple[tuple[str, str], ...]  # (question, answer)
    unsupported: tuple[tuple[str, str], ...]


EXAMPLES = (
    Example(
        chunk=(
            "The Suez Canal is an artificial sea-level waterway in Egypt, connecting the "
            "Mediterranean Sea to the Red Sea through the Isthmus of Suez. Constructed by "
            "the Suez Canal Company between 1859 and 1869, it was officially opened on 17 "
            "November 1869. The canal offers vessels a more direct route between the North "
            "Atlantic and northern Indian oceans, thereby avoiding the South Atlantic and "
            "southern Indian oceans and reducing the journey distance from the Arabian Sea "
            "to London by approximately 8,900 kilometres. In 2021, more than 20,600 vessels "
            "traversed the canal, an average of 56 per day. The original canal had a depth "
            "of 8 metres; successive enlargements have deepened it to 24 metres."
        ),
        supported=(
            (
                "When was the Suez Canal officially opened?",
                "The Suez Canal was officially opened on 17 November 1869.",
            ),
            (
                "Which two seas does the Suez Canal connect?",
                "It links the Mediterranean Sea with the Red Sea, passing through the "
                "Isthmus of Suez in Egypt.",
            ),
            (
                "How much shorter is the trip from the Arabian Sea to London via the Suez Canal?",
                "Using the canal cuts the journey from the Arabian Sea to London by roughly "
                "8,900 kilometres, because ships avoid the South Atlantic and southern "
                "Indian oceans.",
            ),
            (
                "How many ships went through the Suez Canal in 2021?",
                "More than 20,600 vessels passed through it in 2021, about 56 each day.",
            ),
            (
                "How has the depth of the Suez Canal changed?",
                "It was 8 metres deep originally, and enlargements have since deepened it "
                "to 24 metres.",
            ),
        ),
        unsupported=(
            (
                "Who designed the Suez Canal?",
                "The canal was designed by the French diplomat Ferdinand de Lesseps, who "
                "obtained a concession from Said Pasha.",
            ),
            (
                "What happened to the Suez Canal in 1956?",
                "Egyptian President Gamal Abdel Nasser nationalised the canal in 1956, "
                "which triggered the Suez Crisis with Britain, France and Israel.",
            ),
            (
                "What blocked the Suez Canal in 2021?",
                "In March 2021 the container ship Ever Given ran aground and blocked traffic "
                "for six days.",
            ),
            (
                "How deep was the original Suez Canal?",
                "The first canal was dug to a depth of about 15 metres by forced labour.",
            ),
        ),
    ),
    Example(
        chunk=(
            "To configure the backup schedule, open Settings and choose Backups. The "
            "default schedule runs a full backup every Sunday at 02:00 and incremental "
            "backups on the other days at the same hour. Incremental backups store only the "
            "blocks that changed since the previous backup, so they finish faster and use "
            "less disk space. Backups are kept for 30 days by default; raise the retention "
            "period under Retention if your policy requires longer. If a backup fails, the "
            "service retries it three times at ten-minute intervals and then sends an alert "
            "to the administrators listed under Notifications. Restoring a file requires the "
            "last full backup and every incremental backup made after it."
        ),
        supported=(
            (
                "When does the default backup schedule run a full backup?",
                "A full backup runs every Sunday at 02:00 under the default schedule.",
            ),
            (
                "Why are incremental backups faster than full backups?",
                "Because they only store the blocks that have changed since the previous "
                "backup, they finish faster and take less disk space.",
            ),
            (
                "What happens when a scheduled backup fails?",
                "The service retries the backup three times, ten minutes apart, and then "
                "alerts the administrators listed under Notifications.",
            ),
            (
                "What is needed to restore a file from backups?",
                "You need the last full backup plus every incremental backup made after it.",
            ),
            (
                "How long are backups kept by default and how can this be changed?",
                "By default backups are retained for 30 days; you can raise the retention "
                "period in the Retention settings.",
            ),
        ),
        unsupported=(
            (
                "Where are backups stored?",
                "Backups are written to an encrypted cloud bucket in a different region, "
                "using AES-256 encryption.",
            ),
            (
                "How do you restore a single file from a backup?",
                "Right-click the file in the file browser, choose Restore previous version "
                "and pick a snapshot from the list.",
            ),
            (
                "Can backups be compressed?",
                "Yes, enabling compression typically reduces backup size by half, at the "
                "cost of extra CPU time during the backup window.",
            ),
            (
                "How often are incremental backups made?",
                "Incremental backups run every hour, so at most sixty minutes of work can be lost.",
            ),
        ),
    ),
    Example(
        chunk=(
            "Metformin is the first-line medication for the treatment of type 2 diabetes, "
            "particularly in people who are overweight. It works by decreasing glucose "
            "production by the liver and increasing the insulin sensitivity of body tissues. "
            "Common side effects include diarrhoea, nausea and abdominal pain; these are "
            "often reduced by starting at a low dose and taking the tablets with meals. "
            "Metformin has a low risk of causing low blood sugar when used alone. It is not "
            "recommended in people with severe kidney disease, because of the risk of "
            "lactic acidosis, a rare but serious complication."
        ),
        supported=(
            (
                "How does metformin lower blood sugar?",
                "Metformin reduces the amount of glucose the liver produces and makes body "
                "tissues more sensitive to insulin.",
            ),
            (
                "What are common side effects of metformin?",
                "The most common side effects are diarrhoea, nausea and abdominal pain.",
            ),
            (
                "How can the gastrointestinal side effects of metformin be reduced?",
                "Starting with a low dose and taking the tablets with meals often reduces them.",
            ),
            (
                "Why is metformin not recommended for people with severe kidney disease?",
                "Because in severe kidney disease there is a risk of lactic acidosis, a rare "
                "but serious complication.",
            ),
        ),
        unsupported=(
            (
                "What is the usual maximum daily dose of metformin?",
                "The maximum recommended dose is 2,550 mg per day, divided into two or "
                "three doses.",
            ),
            (
                "Can metformin cause vitamin deficiencies?",
                "Long-term use of metformin can reduce the absorption of vitamin B12, so "
                "levels should be checked periodically.",
            ),
            (
                "Is metformin used for conditions other than diabetes?",
                "Yes, it is also prescribed off-label for polycystic ovary syndrome and "
                "sometimes for weight loss.",
            ),
            (
                "Does metformin cause low blood sugar?",
                "Metformin frequently causes hypoglycaemia, so patients must check their "
                "glucose several times a day.",
            ),
        ),
    ),
    Example(
        chunk=(
            "Section 4. Termination. Either party may terminate this Agreement for "
            "convenience by giving the other party no less than ninety (90) days' written "
            "notice. Either party may terminate this Agreement immediately upon written "
            "notice if the other party materially breaches this Agreement and fails to cure "
            "such breach within thirty (30) days after receiving notice of it. Upon "
            "termination, the Customer shall pay all fees accrued up to the effective date "
            "of termination, and the Provider shall return or destroy all Confidential "
            "Information of the Customer within fifteen (15) days."
        ),
        supported=(
            (
                "How much notice is required to terminate the agreement for convenience?",
                "Either party must give at least ninety days' written notice to terminate "
                "for convenience.",
            ),
            (
                "When can a party terminate the agreement immediately?",
                "A party may terminate immediately by written notice if the other party "
                "materially breaches the agreement and does not cure the breach within "
                "thirty days after being notified.",
            ),
            (
                "What must the Customer pay upon termination?",
                "The Customer has to pay all fees accrued up to the effective date of termination.",
            ),
            (
                "What must the Provider do with the Customer's Confidential Information "
                "after termination?",
                "The Provider must return or destroy it within fifteen days.",
            ),
        ),
        unsupported=(
            (
                "Is there a penalty for early termination?",
                "Yes, an early termination fee equal to three months of fees applies if the "
                "Customer ends the contract during the first year.",
            ),
            (
                "Which law governs the agreement?",
                "The agreement is governed by the laws of the State of New York, and disputes "
                "go to arbitration.",
            ),
            (
                "Does the Provider keep copies of data after termination?",
                "The Provider may retain backup copies for up to one year for audit purposes.",
            ),
            (
                "How much notice is required to terminate for convenience?",
                "Sixty days' verbal notice is enough, as long as it is confirmed by email.",
            ),
        ),
    ),
    Example(
        chunk=(
            "Python's garbage collector complements reference counting. Every object keeps "
            "a count of references to it, and the object is freed as soon as the count drops "
            "to zero. Reference counting alone cannot reclaim reference cycles, such as two "
            "objects that refer to each other, so the gc module periodically searches for "
            "unreachable cycles. It groups objects into three generations: new objects start "
            "in generation 0, and objects that survive a collection move to the next "
            "generation. Younger generations are collected more often, because most objects "
            "die young. The thresholds can be inspected with gc.get_threshold() and changed "
            "with gc.set_threshold()."
        ),
        supported=(
            (
                "When does Python free an object under reference counting?",
                "An object is freed as soon as its reference count drops to zero.",
            ),
            (
                "Why does Python need a cycle-detecting garbage collector?",
                "Reference counting alone cannot reclaim reference cycles, like two objects "
                "referring to each other, so the gc module periodically looks for "
                "unreachable cycles.",
            ),
            (
                "How does Python's gc module organise objects?",
                "It uses three generations: new objects begin in generation 0 and objects "
                "that survive a collection are moved to the next generation.",
            ),
            (
                "How can the garbage collection thresholds be viewed and changed?",
                "Use gc.get_threshold() to inspect them and gc.set_threshold() to change them.",
            ),
        ),
        unsupported=(
            (
                "Can the garbage collector be disabled?",
                "Yes, calling gc.disable() turns off automatic collection, which some "
                "programs do to avoid pauses.",
            ),
            (
                "What is the default threshold for generation 0?",
                "The default threshold for generation 0 is 700 allocations minus deallocations.",
            ),
            (
                "How does PyPy manage memory?",
                "PyPy does not use reference counting; it relies on a moving, incremental "
                "generational collector instead.",
            ),
            (
                "How often are the oldest objects collected?",
                "Objects in the oldest generation are collected every time a new object is "
                "allocated.",
            ),
        ),
    ),
    Example(
        chunk=(
            "La photosynthèse est le processus par lequel les plantes, les algues et "
            "certaines bactéries convertissent l'énergie lumineuse en énergie chimique. "
            "Elle se déroule principalement dans les chloroplastes, qui contiennent la "
            "chlorophylle, un pigment qui absorbe surtout la lumière bleue et rouge. Au "
            "cours de la phase lumineuse, l'eau est décomposée et de l'oxygène est libéré. "
            "Pendant le cycle de Calvin, le dioxyde de carbone est fixé pour produire des "
            "sucres, en utilisant l'ATP et le NADPH formés lors de la phase lumineuse."
        ),
        supported=(
            (
                "Où se déroule principalement la photosynthèse ?",
                "Elle se déroule principalement dans les chloroplastes, qui contiennent la "
                "chlorophylle.",
            ),
            (
                "Quelle lumière la chlorophylle absorbe-t-elle surtout ?",
                "La chlorophylle absorbe surtout la lumière bleue et la lumière rouge.",
            ),
            (
                "Que se passe-t-il pendant la phase lumineuse de la photosynthèse ?",
                "Pendant la phase lumineuse, l'eau est décomposée et de l'oxygène est "
                "libéré ; de l'ATP et du NADPH sont formés.",
            ),
            (
                "À quoi sert le cycle de Calvin ?",
                "Le cycle de Calvin fixe le dioxyde de carbone pour produire des sucres, "
                "grâce à l'ATP et au NADPH de la phase lumineuse.",
            ),
        ),
        unsupported=(
            (
                "Quelle enzyme fixe le dioxyde de carbone ?",
                "C'est la RuBisCO, l'enzyme la plus abondante sur Terre, qui catalyse cette "
                "réaction.",
            ),
            (
                "Pourquoi les feuilles sont-elles vertes ?",
                "Parce qu'elles réfléchissent la longueur d'onde verte, que les pigments "
                "n'utilisent presque pas.",
            ),
            (
                "Qu'est-ce que la photosynthèse en C4 ?",
                "Les plantes en C4 comme le maïs concentrent le CO2 dans des cellules "
                "spécialisées pour limiter la photorespiration.",
            ),
        ),
    ),
    Example(
        chunk=(
            "The Treaty of Westphalia, signed in 1648 in the cities of Osnabrück and "
            "Münster, ended the Thirty Years' War in the Holy Roman Empire and the Eighty "
            "Years' War between Spain and the Dutch Republic. The treaties recognised the "
            "independence of the Dutch Republic and of the Swiss Confederation. They "
            "confirmed the principle that each prince could determine the religion of his "
            "own state, and extended it to Calvinism alongside Catholicism and Lutheranism. "
            "France and Sweden gained territory, while the power of the Holy Roman Emperor "
            "over the German princes was reduced."
        ),
        supported=(
            (
                "Which wars did the Peace of Westphalia end?",
                "It ended the Thirty Years' War in the Holy Roman Empire and the Eighty "
                "Years' War between Spain and the Dutch Republic.",
            ),
            (
                "Where was the Treaty of Westphalia signed?",
                "It was signed in 1648 in Osnabrück and Münster.",
            ),
            (
                "Which states had their independence recognised by the Treaty of Westphalia?",
                "The treaties recognised the independence of the Dutch Republic and the "
                "Swiss Confederation.",
            ),
            (
                "How did the Treaty of Westphalia affect religion in the Empire?",
                "It confirmed that each prince could choose the religion of his state and "
                "extended this principle to Calvinism as well as Catholicism and "
                "Lutheranism.",
            ),
        ),
        unsupported=(
            (
                "Why is the Peace of Westphalia important in international relations?",
                "It is often seen as the origin of the modern system of sovereign nation "
                "states and the principle of non-interference.",
            ),
            (
                "Who negotiated for France at Westphalia?",
                "Cardinal Mazarin directed the French negotiators, led by the Duke of Longueville.",
            ),
            (
                "How many people died in the Thirty Years' War?",
                "Estimates suggest that between four and eight million people died, mostly "
                "from famine and disease.",
            ),
        ),
    ),
    Example(
        chunk=(
            "To reduce latency, the service caches query results in Redis for five minutes. "
            "The cache key combines the user's tenant identifier with a hash of the "
            "normalised query, so tenants never see each other's results. When a record is "
            "updated, the service publishes an invalidation message, and every instance "
            "deletes the cached entries of that tenant. If Redis is unreachable, requests "
            "fall back to the database and a warning is logged once per minute; the service "
            "does not fail. Cache hit rates are exported as the metric cache_hit_ratio."
        ),
        supported=(
            (
                "How long does the service cache query results?",
                "Query results are cached in Redis for five minutes.",
            ),
            (
                "How does the cache keep tenants' results separate?",
                "The cache key combines the tenant identifier with a hash of the normalised "
                "query, so one tenant never sees another tenant's results.",
            ),
            (
                "What happens when Redis cannot be reached?",
                "Requests fall back to the database instead of failing, and a warning is "
                "logged once per minute.",
            ),
            (
                "How are cached entries invalidated after an update?",
                "An invalidation message is published when a record changes, and every "
                "instance then deletes that tenant's cached entries.",
            ),
        ),
        unsupported=(
            (
                "Which eviction policy does the Redis cache use?",
                "Redis is configured with the allkeys-lru policy and a memory limit of 2 GB.",
            ),
            (
                "How can the cache be warmed after a deployment?",
                "A background job replays the most frequent queries from the previous day "
                "to fill the cache.",
            ),
            (
                "Is the cached data encrypted?",
                "Yes, values are encrypted with TLS in transit and at rest with AES.",
            ),
            (
                "How long are query results cached?",
                "Results stay cached for one hour unless a tenant administrator clears them "
                "manually.",
            ),
        ),
    ),
)
