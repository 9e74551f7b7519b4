"""German, French and Spanish synthetic sites: speakers, templates and the editors' habits of
each language (labels, relative times, inflected, compound and synonym forms). Written for the
benchmark: fictional outlets, places from a shared pool, no real headlines."""

from __future__ import annotations

from bench.corpus import Speaker, Template, tpl

DE_CITY = ("Köln", "Leipzig", "Bremen", "Kassel", "Rostock", "Freiburg", "Erfurt")
DE_LAND = ("Bayern", "Sachsen", "Hessen", "Thüringen", "Brandenburg")
FR_CITY = ("Lyon", "Lille", "Nantes", "Rennes", "Toulouse", "Grenoble", "Dijon")
FR_REGION = ("Bretagne", "Normandie", "Occitanie", "Alsace", "Provence")
ES_CITY = ("Valencia", "Sevilla", "Bilbao", "Zaragoza", "Málaga", "Murcia", "Vigo")
ES_REGION = ("Galicia", "Aragón", "Andalucía", "Cantabria", "Navarra")

DE_SPEAKERS: dict[str, Speaker] = {s.key: s for s in (
    Speaker("de_police", ("Polizei", "Die Polizei", "Polizeisprecher"), ("Polizei",)),
    Speaker("de_gov", ("Bundesregierung", "Regierungssprecher"), ("Regierungssprecher",)),
)}
FR_SPEAKERS: dict[str, Speaker] = {s.key: s for s in (
    Speaker("fr_police", ("Police", "La police", "Porte-parole de la police"), ("la police",)),
    Speaker("fr_gov", ("Gouvernement", "Porte-parole du gouvernement"), ("le gouvernement",)),
)}
ES_SPEAKERS: dict[str, Speaker] = {s.key: s for s in (
    Speaker("es_police", ("Policía Nacional", "La Policía", "Portavoz policial"),
            ("la Policía",)),
    Speaker("es_gov", ("Gobierno", "Portavoz del Gobierno"), ("el Gobierno",)),
)}

RUNDSCHAU: tuple[Template, ...] = (
    tpl("de_fire", "Großbrand in einer Lagerhalle in {city}: {n} Verletzte", "",
        (", die Feuerwehr ist mit allen Kräften im Einsatz",), city=DE_CITY),
    tpl("de_heli", "Hubschrauber stürzt bei {city} ab, {nw} Insassen verletzt", "de_police",
        (", die Unfallursache ist unklar",), city=DE_CITY),
    tpl("de_attack", "Angriff auf Polizeiwache in {city}, Täter auf der Flucht", "de_police",
        (", eine Großfahndung läuft",), city=DE_CITY),
    tpl("de_strike", "Warnstreik legt den Nahverkehr in {land} lahm", "",
        (" bis Freitagabend",), land=DE_LAND),
    tpl("de_flood", "Hochwasseralarm in {land}: Pegel steigt auf {mag} Meter", "",
        (", erste Orte werden geräumt",), land=DE_LAND),
    tpl("de_arrest", "Verdächtiger nach Messerangriff in {city} festgenommen", "de_police",
        (" am Hauptbahnhof",), city=DE_CITY),
    tpl("de_rules", "Regierung beschließt neue Regeln fürs Homeoffice in {land}", "de_gov",
        (" ab dem kommenden Jahr",), land=DE_LAND),
    tpl("de_train", "Zugunglück bei {city}: {n} Menschen verletzt", "",
        (", die Strecke bleibt gesperrt",), city=DE_CITY),
)
QUOTIDIEN: tuple[Template, ...] = (
    tpl("fr_fire", "Incendie dans un entrepôt à {city} : {n} blessés", "",
        (", les pompiers toujours mobilisés",), city=FR_CITY),
    tpl("fr_heli", "Un hélicoptère s'écrase près de {city}, {nw} occupants blessés", "fr_police",
        (", l'enquête est ouverte",), city=FR_CITY),
    tpl("fr_attack", "Attaque contre un commissariat à {city}, l'auteur en fuite", "fr_police",
        (", un important dispositif déployé",), city=FR_CITY),
    tpl("fr_strike", "La grève paralyse les transports en {region}", "",
        (" jusqu'à vendredi soir",), region=FR_REGION),
    tpl("fr_flood", "Alerte aux crues en {region} : le niveau atteint {mag} mètres", "",
        (", des évacuations en cours",), region=FR_REGION),
    tpl("fr_arrest", "Un suspect arrêté après une attaque au couteau à {city}", "fr_police",
        (" près de la gare",), city=FR_CITY),
    tpl("fr_reform", "Le gouvernement annonce une réforme du télétravail en {region}", "fr_gov",
        (" dès l'année prochaine",), region=FR_REGION),
    tpl("fr_train", "Accident de train près de {city} : {n} blessés", "",
        (", la ligne reste coupée",), city=FR_CITY),
)
DIARIO: tuple[Template, ...] = (
    tpl("es_fire", "Incendio en una nave industrial de {city}: {n} heridos", "",
        (", los bomberos siguen trabajando",), city=ES_CITY),
    tpl("es_heli", "Se estrella un helicóptero cerca de {city} con {nw} ocupantes", "es_police",
        (", se investigan las causas",), city=ES_CITY),
    tpl("es_attack", "Ataque contra una comisaría en {city}, el autor huye", "es_police",
        (", amplio despliegue policial",), city=ES_CITY),
    tpl("es_strike", "La huelga paraliza el transporte en {region}", "",
        (" hasta el viernes por la noche",), region=ES_REGION),
    tpl("es_flood", "Alerta por crecidas en {region}: el río sube a {mag} metros", "",
        (", primeros desalojos",), region=ES_REGION),
    tpl("es_arrest", "Detenido un sospechoso tras un ataque con cuchillo en {city}", "es_police",
        (" junto a la estación",), city=ES_CITY),
    tpl("es_reform", "El Gobierno aprueba la reforma del teletrabajo en {region}", "es_gov",
        (" a partir del próximo año",), region=ES_REGION),
    tpl("es_train", "Accidente de tren cerca de {city}: {n} heridos", "",
        (", la línea sigue cortada",), city=ES_CITY),
)

# Editors' habits per language: labels in front or behind, and words written another way
# (inflected, compound or hyphenated, a synonym from the shipped table, small words).
LABELS = {
    "en": ("Live: {}", "Analysis: {}", "WATCH: {}", "Exclusive: {}", "{} 1 hour ago", "{} Plus"),
    "de": ("Live: {}", "Analyse: {}", "Eilmeldung: {}", "{} Z+", "{} Vor 1 Stunde", "{} Plus"),
    "fr": ("Direct : {}", "Vidéo : {}", "Alerte : {}", "{} il y a 2 heures", "Abonnés : {}"),
    "es": ("Directo: {}", "Última hora: {}", "Vídeo: {}", "{} hace 3 horas", "Opinión: {}"),
}
ALTERNATES = {
    "en": {"destroyed": "destroys", "intercepted": "intercepts", "Ceasefire": "Cease-fire",
           "Wildfire": "Wild-fire", "Explosion": "Blast", "halts": "halting", "arrested": "held",
           "suspended": "suspending", "sound": "sounding", "rescued": "rescue",
           "Finland": "Finnish", "Airspace": "Air space", "Russia's": "Russian",
           "WWII": "WW2", "United": "Utd", "head coach": "headcoach"},
    "de": {"Hubschrauber": "Helikopter", "Angriff": "Anschlag", "fürs": "für das",
           "festgenommen": "gefasst", "Homeoffice": "Home-Office", "Großbrand": "Gross-Brand",
           "Verletzte": "Verletzten", "stürzt": "stürzte", "Zugunglück": "Zug-Unglück"},
    "fr": {"hélicoptère": "hélico", "Attaque": "Attentat", "annonce": "annonçait",
           "arrêté": "interpellé", "blessés": "blessé", "paralyse": "paralysait",
           "s'écrase": "s'est écrasé"},
    "es": {"helicóptero": "helicoptero", "Ataque": "Atentado", "teletrabajo": "tele-trabajo",
           "Detenido": "Arrestado", "heridos": "herido", "paraliza": "paralizó",
           "Incendio": "Incendios"},
}
