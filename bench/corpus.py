"""Synthetic ticker vocabulary: speakers, flash templates with slots, and speech statements.

All text here was written for the benchmark (fictional outlets and people, seed-like topics).
Slots named in FIGURE_SLOTS hold figures (a revision may change them); every other slot names
a place, actor or object (changing it makes a different flash: a hard negative).
"""

from __future__ import annotations

from dataclasses import dataclass, field

FIGURE_SLOTS = frozenset({"n", "nw", "Nw", "h", "mag", "time"})

NUMBER_WORDS = ("two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven")


@dataclass(frozen=True, slots=True)
class Speaker:
    """Who a flash is attributed to, in every wording a site uses for them."""

    key: str
    lead: tuple[str, ...]  # "X: body" forms; the first is the usual one
    trail: tuple[str, ...] = ()  # names for "body: X" and "body, X says"
    statements: tuple[str, ...] = ()  # a speech: unrelated statements by this speaker


@dataclass(frozen=True, slots=True)
class Template:
    """One kind of flash; slots are filled from `pools` (figure slots from FIGURES)."""

    key: str
    text: str
    pools: dict[str, tuple[str, ...]] = field(default_factory=dict)
    speakers: tuple[str, ...] = ()  # empty: unattributed
    details: tuple[str, ...] = ()  # suffixes for an "extended with detail" revision


FIGURES: dict[str, tuple[str, ...]] = {
    "n": tuple(str(i) for i in range(3, 48)),
    "nw": NUMBER_WORDS[:6],
    "Nw": tuple(w.capitalize() for w in NUMBER_WORDS[:6]),
    "h": tuple(str(i) for i in range(2, 9)),
    "mag": ("5.1", "5.4", "5.8", "6.2", "6.6", "7.1"),
    "time": ("1300", "1400", "1500", "1600", "1700", "1800"),
}

GAZA = ("Khan Younis", "Rafah", "Jabalia", "Deir al-Balah", "Beit Lahia", "al-Nuseirat")
LEB = ("Kfar Hamam", "Aitaroun", "Yaroun", "Odaisseh", "Markaba", "Blida", "Houla")
RU = ("Bryansk", "Kursk", "Belgorod", "Oryol", "Rostov", "Tula", "Voronezh")
EU_CITY = ("Rotterdam", "Antwerp", "Malmo", "Lyon", "Graz", "Utrecht", "Porto")
COUNTRY = ("Gaza", "Lebanon", "Sudan", "Yemen", "Libya", "Syria")
NATION = ("Russia", "Kazakhstan", "Canada", "Australia", "Namibia", "Niger")
AIRPORT = ("Ramon", "Eilat", "Haifa", "Ben Gurion", "Larnaca", "Aqaba")
SEA = ("Red Sea", "Gulf of Aden", "Strait of Hormuz", "Arabian Sea", "Black Sea")
PORT = ("Hodeidah", "Salalah", "Duqm", "Mukalla", "Aden")
PROVINCE = ("Sistan", "Khuzestan", "Kurdistan", "Kerman", "Hormozgan")
SANCTIONER = ("The US Treasury", "The European Union", "Britain", "Canada", "Japan")
TARGET = ("Sudan", "Venezuela", "Myanmar", "Eritrea", "Belarus", "Nicaragua")
NEIGHBOUR = ("Poland", "Romania", "Moldova", "Lithuania", "Latvia", "Finland")
LEADER = ("Erdogan", "Modi", "Lula", "Tokayev", "Ramaphosa", "Xi")
TOPIC = ("grain exports", "gas supplies", "the war in Ukraine", "nuclear energy", "trade")
MISSILE = ("Falcon-2", "Thunder-3", "Sabre", "Comet", "Zulfiqar-7")
PIPELINE = ("TurkStream", "Baltic", "Trans-Adriatic", "Yamal", "Druzhba")
HOSPITAL = ("al-Shifa", "Nasser", "al-Awda", "Kamal Adwan", "al-Aqsa Martyrs")
WEST_BANK = ("Jenin", "Tubas", "Nablus", "Tulkarm", "Qalqilya", "Hebron")
ISRAEL = ("Eilat", "Ashkelon", "Beersheba", "Jaffa", "Safed", "Nahariya")

SPEAKERS: dict[str, Speaker] = {s.key: s for s in (
    Speaker("corr_gaza", ("Levant Wire's correspondent in Gaza",
                          "Levant Wire correspondent in Gaza", "Levant Wire's Gaza correspondent",
                          "Levant Wire's correspondent")),
    Speaker("corr_leb", ("Levant Wire's correspondent in South Lebanon",
                         "Levant Wire correspondent in South Lebanon",
                         "Levant Wire's South Lebanon correspondent",
                         "Levant Wire's correspondent")),
    Speaker("health", ("Gaza Health Ministry", "The Health Ministry in Gaza", "Health Ministry"),
            ("Gaza Health Ministry", "the Health Ministry")),
    Speaker("army", ("Occupation army spokesperson", "Occupation army spokesman",
                     "Army spokesperson"),
            ("army spokesperson",)),
    Speaker("haddad", ("Sheikh Haddad", "Sheikh Nabil Haddad"), statements=(
        "We will not hand over our weapons while the aggression continues",
        "The people of the south are united behind the resistance and its choices",
        "Whoever wants sovereignty must first stop the daily violations",
        "The American envoy came to pressure Lebanon, not to help it",
        "Our patience has limits, and the enemy should not test it",
        "There is no talk of a defensive strategy before the withdrawal is complete",
        "The government must protect its citizens instead of negotiating on their behalf",
        "We thank every country that stood with Lebanon during the war",
        "Rebuilding the destroyed villages is a national duty that cannot wait",
        "The occupation has violated the agreement more than a thousand times",
        "The resistance is stronger today than it was before the war",
        "We call on the state to take a clear position on the border violations",
    )),
    Speaker("mod_ru", ("Russian Defense Ministry", "Russian Ministry of Defense",
                       "Russia's Defense Ministry"), ("Russian Defense Ministry", "Russia's MoD")),
    Speaker("kremlin", ("The Kremlin", "Kremlin", "Kremlin spokesman"), ("the Kremlin",), (
        "Negotiations toward a settlement in Ukraine are at a complete standstill",
        "Moscow sees no basis yet for a summit between the two presidents",
        "The new sanctions package will not change our course",
        "Russia is ready to discuss security guarantees with Europe",
        "Statements from Brussels about a ceasefire are not serious",
        "The president will address the nation on Thursday evening",
        "Contacts with Washington continue at the working level",
        "The West bears responsibility for prolonging the conflict",
    )),
    Speaker("police", ("Dutch police", "Dutch Police", "Police in the Netherlands"),
            ("Dutch police", "police")),
    Speaker("yemen", ("Yemeni Armed Forces spokesperson", "Yemeni Armed Forces spokesman",
                      "Yemeni military spokesperson", "Yemeni Armed Forces"),
            ("Yemeni Armed Forces",)),
    Speaker("intel", ("Iranian Intelligence Minister", "Iran's Intelligence Minister",
                      "Iranian Intelligence Ministry"), ("Iranian intelligence",)),
    Speaker("channel9", ("Channel 9", "Israeli Channel 9"), ("Channel 9", "Israeli Channel 9")),
    Speaker("source", ("Source briefed on the agreement", "A source briefed on the agreement"),
            ("Source briefed on the agreement", "a source briefed on the deal")),
    Speaker("qatar_pm", ("Qatari PM", "Qatari Prime Minister", "Qatar's Prime Minister"),
            ("Qatari PM",), (
        "The only path to peace begins with negotiations and a ceasefire",
        "We must not give in to extremists on either side",
        "Mediation efforts are continuing despite all the obstacles",
        "The humanitarian situation cannot wait any longer",
        "We have received positive signals from both parties",
        "Any agreement must guarantee the return of the displaced",
        "The international community bears responsibility for the continued war",
        "Our doors remain open to every party seeking a just solution",
    )),
)}


def tpl(key: str, text: str, speakers: str = "", details: tuple[str, ...] = (),
       **pools: tuple[str, ...]) -> Template:
    return Template(key, text, pools, tuple(speakers.split(" ")) if speakers else (), details)


LEVANT = (
    tpl("raids", "The occupation carried out {nw} violent raids on the western areas of {place}",
       "corr_gaza", (", wounding dozens of civilians",), place=GAZA),
    tpl("martyrs", "{n} martyrs arrive at {hospital} Hospital after a strike on {place}",
       "corr_gaza health", (", most of them women and children",), hospital=HOSPITAL, place=GAZA),
    tpl("ceasefire", "Ceasefire in {country} takes effect", "corr_gaza corr_leb ",
       (" at 8:30 am local time", " after a night of heavy strikes"), country=COUNTRY),
    tpl("shelling", "Artillery shelling targeted the outskirts of {place}", "corr_leb",
       (" and the nearby valley",), place=LEB),
    tpl("quadcopter", "A quadcopter dropped explosive devices on a house in the town of {place}",
       "corr_leb", (", causing a fire",), place=LEB),
    tpl("blast", "Occupation forces set off an explosion in the border town of {place}", "corr_leb",
       (" for the third time this week",), place=LEB),
    tpl("toll", "The death toll in {place} has risen to {n} since dawn", "health corr_gaza",
       (", with dozens still under the rubble",), place=GAZA),
    tpl("demolish", "Occupation bulldozers demolish {nw} homes in {place}", "corr_gaza army",
       (" after ordering the families out",), place=WEST_BANK),
    tpl("wounded", "{Nw} soldiers wounded in clashes in {place}", "army ",
       (", one of them seriously",), place=WEST_BANK),
    tpl("withdraw", "Occupation army withdraws from {place} after a {n}-day incursion", "corr_gaza",
       (", leaving widespread destruction",), place=WEST_BANK),
    tpl("barrage", "Rocket barrage launched from southern Lebanon toward {place}", " army",
       (", with interceptions reported",), place=ISRAEL),
    tpl("arrests", "Occupation forces arrest {n} Palestinians in raids on {place}", "corr_gaza",
       (", including a journalist",), place=WEST_BANK),
)

EAST = (
    tpl("drone", "Ukrainian drone destroyed over Russia's {region} region", "mod_ru",
       (" overnight",), region=RU),
    tpl("drones", "{n} Ukrainian drones destroyed in {h} hours over the {region} region",
       "mod_ru", (" and the Black Sea",), region=RU),
    tpl("uav", "Air defense forces intercepted a fixed-wing UAV over the {region} region", "mod_ru",
       (" in the early morning",), region=RU),
    tpl("shooting", "Shooting in {city} leaves {n} dead and {nw} wounded", "police ",
       (", and the attacker is still at large",), city=EU_CITY),
    tpl("arrested", "{city} shooter arrested", "police", (" at a railway station",), city=EU_CITY),
    tpl("fuel", "{nation} halts nuclear fuel exports to {target}", "",
       (" over a lack of insurance",), nation=NATION, target=TARGET),
    tpl("sanctions", "{actor} imposes fresh sanctions on {target}", "",
       (" targeting senior officials",), actor=SANCTIONER, target=TARGET),
    tpl("derail", "Train derailment near {city} injures {n} passengers", "",
       (", two of them critically",), city=EU_CITY),
    tpl("depot", "Explosion reported at an ammunition depot in the {region} region", "",
       (", residents evacuated",), region=RU),
    tpl("outage",
        "Power outages hit {n} settlements in the {region} region after overnight strikes", "",
        (", repair crews deployed",), region=RU),
    tpl("summons", "{neighbour} summons the Russian ambassador over the drone incident", "",
       (" on its territory",), neighbour=NEIGHBOUR),
    tpl("call", "Putin and {leader} discussed {topic} in a phone call", "kremlin",
       (" initiated by the Russian side",), leader=LEADER, topic=TOPIC),
    tpl("gas", "Gas prices in Europe jump {n} percent after the {pipeline} pipeline halt", "",
       (" for maintenance",), pipeline=PIPELINE),
    tpl("wildfire", "Wildfire near {city} forces the evacuation of {n} residents", "",
       (" as winds strengthen",), city=EU_CITY),
    tpl("quake", "Earthquake of magnitude {mag} strikes off the coast of {nation}", "",
       (", no tsunami warning issued",), nation=NATION),
    tpl("bomb", "Unexploded WWII bomb found near {city} station", "police",
       (", homes evacuated",), city=EU_CITY),
    tpl("sack", "{city} United sack their head coach after a run of defeats", "",
       (" in the league",), city=EU_CITY),
)

GULF = (
    tpl("airspace", "Airspace closed at {airport} Airport due to fears of drone infiltration",
       "channel9 ", (" and flights diverted to Cyprus",), airport=AIRPORT),
    tpl("flights", "Flights suspended at {airport} Airport for {h} hours", "channel9 ",
       (" after a security alert",), airport=AIRPORT),
    tpl("missile", "The missile force fired a {missile} ballistic missile at targets in {place}",
       "yemen", (", hitting its targets accurately",), missile=MISSILE, place=ISRAEL),
    tpl("sirens", "Sirens sound in {place} after a missile launch from Yemen was detected", "",
       (" and residents head to shelters",), place=ISRAEL),
    tpl("plot", "A plot to assassinate {nw} judges was thwarted in {province} province", "intel",
       (" and the cell members were arrested",), province=PROVINCE),
    tpl("suspects", "{n} suspects arrested over the bombing in {province} province", "intel",
       (", explosives seized",), province=PROVINCE),
    tpl("oil", "Oil prices rise {n} percent after an attack on a tanker in the {sea}", "",
       (" claimed by no group so far",), sea=SEA),
    tpl("brent", "Brent crude falls below {n} dollars a barrel on {topic} fears", "",
       (" in early trading",), topic=("oversupply", "recession", "demand", "tariff")),
    tpl("port", "Storm forces the closure of {port} port", "", (" until further notice",),
       port=PORT),
    tpl("crew", "{Nw} crew members rescued from a cargo ship hit off {port}", "",
       (", the ship is sinking",), port=PORT),
    tpl("cabinet", "Prime minister to convene the security cabinet at {time} to approve the deal",
       "source ", (" and the full government an hour later",)),
    tpl("phase", "Within the first {h}0 hours, the army will complete the first withdrawal from "
       "{place}", "source", (" under international supervision",), place=GAZA),
)
