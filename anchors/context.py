"""Corpus context of each candidate term, read straight from the documents (decide_v3 / names_v3).

NER labels alone mistype invented things ("Hogwarts" PERSON, "Floo Powder" PERSON), so v3 reads what
the text around a term says: a title before it ("Professor X"), a speech verb or a pronoun after it
("X said", "X ... she"), an article or a place preposition before it ("the X", "in X", "at X"), a
plural ("the Xs"), a head word ("... Guild", "... Quay", "... Stone"). Every occurrence of every term
is found in one Aho-Corasick pass; at most `max_per_term` occurrences of a term are read.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field

from anchors.evidence import PLACE_HEADS, SURNAME_TITLES, TITLE_WORDS
from anchors.terms import TITLES

# Subject pronouns only: "Bellatrix killed his godfather" says nothing about Bellatrix.
PRONOUNS = {"he": "male", "himself": "male", "she": "female", "herself": "female"}
SPEECH = {"said", "says", "asked", "replied", "answered", "told", "tells", "shouted", "whispered", "cried", "called",
          "laughed", "smiled", "nodded", "muttered", "sighed", "thought", "wrote", "knew", "knows", "wanted", "wants",
          "looked", "walked", "turned", "married", "died", "dies", "spoke", "added", "exclaimed", "felt", "feels",
          "tried", "tries", "decided", "decides", "learned", "learns", "learnt", "realised", "realized", "realises",
          "escaped", "killed", "kills", "fought", "fights", "helped", "helps", "saved", "saves", "loved", "loves",
          "hated", "hates", "believed", "believes", "admitted", "refused", "promised", "agreed", "begged", "sat",
          "stood", "smiles", "laughs", "nods", "hopes", "hoped", "cast", "casts", "betrayed", "betrays", "rescued",
          "rescues", "tells", "dreamed", "wished", "whom", "who", "himself", "herself"}
# "looked at Harry" is no place: "at" after these verbs points at a person or a thing.
AT_VERBS = {"look", "looked", "looking", "looks", "stared", "stare", "glared", "smiled", "shouted", "laughed",
            "pointed", "waved", "aimed", "threw", "grinned", "yelled", "snapped", "glanced", "winked", "frowned",
            "hissed", "sneered", "jabbed", "fired", "lunged", "directed", "angry", "furious", "cross"}
PLACE_PREPS = {"in", "at", "into", "near", "inside", "outside", "beyond", "across", "reached", "reaching",
               "visit", "visited", "visiting", "via"}
ARTICLES = {"the", "a", "an"}
# v6: a word right before a name that says its gender: a gendered title ("Mrs. X", "Aunt X", "Lord X") or a
# kin or person noun in apposition ("his son X", "the girl X", "the witch X").
GENDER_BEFORE = {
    "male": {"mr", "sir", "lord", "king", "prince", "duke", "earl", "baron", "count", "uncle", "father", "brother",
             "son", "husband", "nephew", "grandson", "grandfather", "boy", "man", "gentleman", "monk", "friar",
             "master", "emperor", "sultan", "tsar", "abbot", "wizard", "widower", "fiancé", "lad", "mister", "señor",
             "monsieur", "herr", "signor", "don", "dom"},
    "female": {"mrs", "miss", "ms", "madam", "madame", "lady", "dame", "queen", "princess", "duchess", "countess",
               "baroness", "aunt", "mother", "sister", "daughter", "wife", "niece", "granddaughter", "grandmother",
               "girl", "woman", "nun", "abbess", "mistress", "empress", "witch", "widow", "fiancée", "lass",
               "señora", "mademoiselle", "frau", "signora", "matron"},
}
GENDER_OF_WORD = {w: g for g, ws in GENDER_BEFORE.items() for w in ws}
ABBREVIATED = {"mr", "mrs", "ms"}  # "Mrs. Weasley"; any other word then a full stop ends a sentence
# v4: prepositions of place and movement, counted directly before a term or before its "the".
SPATIAL = PLACE_PREPS | {"from", "to", "off", "around", "past", "through", "toward", "towards", "across", "within",
                         "above", "below", "beneath", "along", "onto", "reach", "leave", "left", "leaving"}
CLAUSE_OPENERS = {"and", "but", "while", "when", "because", "although", "though", "as", "after", "before", "then",
                  "that", "so", "until", "once", "where", "if", "since"}
# Last (or, before "of", first) words that say what a multi-word name names.
PLACE_WORDS = set(PLACE_HEADS) | {"Quay", "Light", "Reach", "Isle", "Island", "Harbour", "Harbor", "Sound", "Bay",
                                  "Port", "Point", "Forest", "Cross", "Shack", "Hollow", "End", "Hospital", "Room",
                                  "Chamber", "Tower", "Station", "Platform", "Village", "Town", "City", "Valley",
                                  "Lake", "River", "Sea", "Mountains", "Mountain", "Marsh", "Fen", "Moor", "Wharf",
                                  "Market", "Cauldron", "Broomsticks", "Head", "Department"}
ORG_WORDS = {"Guild", "Council", "Ministry", "Order", "Army", "Company", "Society", "League", "School", "Academy",
             "Club", "Office", "Bank", "Committee", "Brotherhood", "Board", "Institute", "Church", "Navy", "Wardens",
             "Prophet", "Team", "Wheezes", "Party", "Circle", "Fellowship", "Union", "Eaters", "Pennant"}
OBJECT_WORDS = {"Stone", "Wand", "Cloak", "Map", "Potion", "Charm", "Curse", "Hat", "Cup", "Mirror", "Cabinet",
                "Sword", "Bus", "Mark", "Powder", "Network", "Express", "Book", "Diary", "Locket", "Ring", "Lamp",
                "Vow", "Charter", "Goblet", "Hallows", "Arts", "Spell", "Jinx", "Hex", "Draught", "Elixir", "Anglia",
                "Compass", "Glass", "Key", "Crown", "Diadem", "Cup", "Box", "Egg"}
# v5: landforms and plural place heads ("the Glass Flats", "the Weeping Stones"): an exact head match wins
# over a plural stripped to an object head ("Stones" is a place, "Stone" a thing).
LANDFORMS = {"Flats", "Sands", "Dunes", "Dune", "Wastes", "Plains", "Hills", "Heights", "Downs", "Springs", "Falls",
             "Wells", "Stones", "Rocks", "Shallows", "Narrows", "Barrens", "Marches", "Fields", "Woods", "Straits",
             "Isles", "Lands", "Steppes", "Cliffs", "Caves", "Crags", "Pools", "Oasis", "Desert", "Canyon", "Gorge",
             "Ridge", "Peak", "Plateau", "Basin", "Glen", "Dale", "Vale", "Heath", "Field", "Cove", "Creek",
             "Ford", "Coast", "Shore", "Highlands", "Lowlands", "Wilds", "Expanse", "Bluffs", "Hollows", "Mesa"}
# v6: more landform and water words, the heads of places the v5 list missed ("Skelding Fell").
LANDFORMS_V6 = {"Fell", "Fells", "Tor", "Tors", "Knoll", "Scar", "Pike", "Mere", "Tarn", "Moss", "Carr", "Holm",
                "Ness", "Combe", "Beck", "Gill", "Brook", "Burn", "Loch", "Lough", "Firth", "Strand", "Wold",
                "Wolds", "Weald", "Bog", "Mire", "Swamp", "Delta", "Lagoon", "Reef", "Atoll", "Peninsula", "Cape",
                "Headland", "Summit", "Crest", "Barrow", "Mound", "Glade", "Thicket", "Copse", "Meadow", "Meadows",
                "Pasture", "Orchard", "Marshes", "Fens", "Moors", "Lakes", "Rapids", "Cascade", "Estuary", "Inlet"}
# v6: the endings of an invented festival's name ("Kindlenight", as "Yuletide" or "Oktoberfest"). v6 left out
# "-mas" to keep Emberfall blind (a festival called so was seen in a file name); v8, made after Emberfall was
# opened, adds it.
FESTIVAL_ENDINGS = ("night", "tide", "fest", "feast")
EVENT_WORDS = {"Battle", "War", "Night", "Day", "Ball", "Tournament", "Festival", "Feast", "Match", "Games"}
# v8 (after Emberfall and Farreach were opened as development sets): "-mas" as in Christmas, Michaelmas, Lammas;
# more heads of organisations, events and landforms; prepositions that place a name in time, not space.
FESTIVAL_ENDINGS_V8 = FESTIVAL_ENDINGS + ("mas", "mass")
ORG_WORDS_V8 = {"Authority", "Commission", "Agency", "Bureau", "Directorate", "Assembly", "Senate", "Parliament",
                "Tribunal", "Court", "Corporation", "Consortium", "Syndicate", "Cartel", "Trust", "Foundation",
                "Federation", "Alliance", "Coalition", "Confederacy", "Concord", "Compact", "Accord", "Collective",
                "Cooperative", "Co-operative", "Mutual", "Holdings", "Haulage", "Shipping", "Freight", "Mining",
                "Trading", "Lines", "Brothers", "Partners", "Associates", "Exchange", "Watch", "Guard", "Police",
                "Militia", "Legion", "Regiment", "Patrol", "Service", "Synod", "Chapter", "Congregation", "Sisterhood",
                "Clan", "Tribe", "Firm", "Works", "Press", "Gazette", "Herald", "Times", "Courier", "Chronicle"}
EVENT_WORDS_V8 = {"Collapse", "Fire", "Flood", "Fall", "Plague", "Famine", "Strike", "Rising", "Uprising", "Siege",
                  "Storm", "Blight", "Crash", "Riot", "Riots", "Disaster", "Massacre", "Revolt", "Rebellion",
                  "Revolution", "Wars", "Exodus", "Blackout", "Outbreak", "Eruption", "Quake", "Fair",
                  "Carnival", "Regatta", "Race", "Wedding", "Funeral", "Coronation"}
LANDFORMS_V8 = {"Pass", "Shelf", "Gap", "Col", "Saddle", "Rift", "Trench", "Chasm", "Crater", "Caldera", "Scarp",
                "Escarpment", "Spur", "Bank", "Banks", "Shoals", "Deeps", "Reach", "Verge", "Edge", "Rim"}
# v9: heads of organisations a place list also held ("Tessary Bank" is a bank, not a river bank), and the
# first words that make a name a place ("Hotel Amberlaine", "Mount Selleck", "Club Coquelle": a venue).
ORG_WORDS_V9 = {"Bank", "Banks", "Moot", "Line", "Conclave"}
# v9: buildings a name's head or first word ("Cathedral of Saint Velloc") says are places.
PLACE_WORDS_V9 = {"Cathedral", "Temple", "Shrine", "Monastery", "Convent", "Nunnery", "Basilica", "Minster", "Kirk",
                  "Chantry", "Sanctuary", "Citadel", "Fortress", "Keep", "Barracks", "Observatory", "Library",
                  "Museum", "Theatre", "Theater", "Arena", "Prison", "Gaol", "Asylum", "Infirmary", "Workhouse",
                  "Hotel", "Tavern", "Alehouse", "Hostel", "Mission", "Outpost", "Depot", "Warehouse", "Dock", "Docks"}
PLACE_PREFIXES = {"Hotel", "Club", "Cafe", "Café", "Mount", "Lake", "Loch", "Fort", "Port", "Cape", "Isle", "Castle",
                  "Camp", "Villa", "Chateau", "Château", "Rue", "Plaza", "Piazza", "Glen"}
# v9: offices and ranks written before names that the generic title list lacks ("Inspector Marrow", "Elder
# Hessel", "Reeve Ockram"); given names ("Dean") and words that are mostly something else ("Prior") left out.
TITLES_V9 = {"inspector", "constable", "detective", "superintendent", "commissioner", "alderman", "councillor",
             "councilor", "mayor", "governor", "elder", "reeve", "bailiff", "sheriff", "marshal", "steward",
             "chancellor", "magistrate", "ambassador", "consul", "senator", "bishop", "archbishop", "abbot", "abbess",
             "prioress", "deacon", "chaplain", "friar", "matron", "warden", "foreman", "goodman", "goodwife",
             "mistress", "chamberlain", "seneschal", "provost", "cardinal", "emperor", "empress", "regent", "chief",
             "headman", "archdeacon", "vicar", "surgeon", "corporal", "private", "ensign", "admiral", "commander",
             "chairman", "president", "secretary", "treasurer", "herald", "overseer",
             # forms of address: "Your Highness", "His Majesty"
             "highness", "majesty", "lordship", "ladyship", "excellency", "eminence", "holiness", "worship"}
# v11 (after Dustwater and Hollowmere were opened): polities and their divisions, farms, more bodies, hard seasons.
PLACE_WORDS_V11 = {"Territory", "Territories", "Province", "County", "Duchy", "Kingdom", "Republic", "Empire", "Realm",
                   "Dominion", "Colony", "Protectorate", "Principality", "Canton", "District", "Parish", "Borough",
                   "Ranch", "Homestead", "Plantation", "Estate"}
ORG_WORDS_V11 = {"Association", "Railroad", "Railway", "Institution", "Conservancy"}
# v15 (after Cogsmoor): works of engineering and digging head places ("the Skelling Tunnel", "Harrow Junction").
PLACE_WORDS_V15 = {"Tunnel", "Viaduct", "Junction", "Halt", "Siding", "Causeway", "Dam", "Weir", "Canal", "Pier",
                   "Jetty", "Mine", "Pit", "Quarry", "Colliery", "Lighthouse", "Glacier", "Crag", "Strait", "Landing",
                   "Sluice", "Reservoir", "Aqueduct", "Embankment", "Breakwater"}
EVENT_WORDS_V11 = {"Frost", "Freeze", "Thaw", "Drought", "Winter", "Fever", "Pox", "Sickness", "Hunger", "Dearth",
                   "Burning", "Drowning", "Reckoning"}
# v10 (after Carrowby was opened): buildings for shows ("Fenwright's Royal Hippodrome", "the Old Playhouse").
PLACE_WORDS_V10 = {"Hippodrome", "Circus", "Amphitheatre", "Amphitheater", "Stadium", "Playhouse", "Opera", "Gallery",
                   "Pavilion", "Colosseum", "Coliseum", "Music-Hall", "Bandstand", "Fairground", "Showground"}
TEMPORAL = {"before", "after", "until", "till", "since", "during", "every", "throughout"}
# v12: what the words around a name say it names, whatever its own words are. A vessel is boarded, sails
# and has a hull and a crew ("aboard the Iron Verity", "the Sarpedine's oars"); a building has doors and a
# landlord ("at the door of the Brass Oriole", "the Hanging Kettle's landlord") or is called an inn in the
# same sentence ("The Salt Lamp was the worst bar on the station"); a title in italics is a work or a
# ship ("*The Salt Bride*"). The words are English's own, not any corpus's names.
VESSEL_BEFORE = re.compile(r"\b(?:aboard|board|boarded|boarding|(?:hull|deck|decks|keel|mast|masts|rigging|wake|crew|"
                           r"helm|bows|stern|gangway|gangplank)\s+of)\s+(?:the\s+)?$", re.I)
VESSEL_PARTS = ("hull|hulls|deck|decks|crew|mast|masts|sail|sails|keel|bow|bows|stern|oars|engine|engines|rigging|"
                "hold|holds|helm|rudder|gangway|gangplank|hatch|hatches|cargo|airlock|thrusters|reactor|wheelhouse|"
                "bulkhead|bulkheads|bridge|captain|skipper|figurehead|anchor|moorings|wake")
VESSEL_AFTER = re.compile(r"^(?:['’]s\s+(?:" + VESSEL_PARTS + r")\b|\s+(?:sailed|docked|moored|anchored|berthed|"
                          r"steamed|foundered|capsized|sank|heeled|ran aground|cast off|put to sea|put out|put in|"
                          r"weighed anchor|made port|came alongside|hove to|set sail|was launched|went down with)\b)")
BUILDING_PARTS = ("door|doors|doorway|steps|roof|window|windows|cellar|cellars|yard|porch|taproom|parlour|parlor|"
                  "kitchen|threshold|stables|landlord|landlady|innkeeper|common room|back room|front room|"
                  "hearth|chimney|signboard|sign")
BUILDING_BEFORE = re.compile(r"\b(?:" + BUILDING_PARTS + r"|corner|walls|gate|gates)\s+of\s+(?:the\s+)?$", re.I)
BUILDING_AFTER = re.compile(r"^['’]s\s+(?:" + BUILDING_PARTS + r")\b")
ESTABLISHMENTS = re.compile(r"\b(?:inn|inns|tavern|taverns|pub|alehouse|bar|saloon|hotel|hostelry|cantina|"
                            r"coffee-house|coffeehouse|chophouse|public house|boarding-house|lodging-house|"
                            r"guest-house|guesthouse|roadhouse|teahouse|tea-room|wine-shop|beer-hall)\b")
ITALIC_BEFORE = re.compile(r"(?<!\*)\*(?:(?:The|A|An) )?$")  # one star: "**Winky**" is bold (and "_X_" no whole word)
# v12: after "her", the words that make it an object ("looked at her and", "told her on the cart"), not the
# possessive whose noun follows ("turned her cup"); "his" is possessive or the owner's ("was his").
OBJECT_AFTER_HER = {"and", "or", "but", "nor", "to", "in", "on", "at", "by", "for", "from", "with", "into", "onto",
                    "of", "off", "out", "up", "down", "over", "under", "away", "back", "again", "about", "that",
                    "this", "a", "an", "the", "as", "so", "too", "if", "when", "then", "now", "there", "here",
                    "across", "through", "past", "round", "around", "before", "after", "until", "alone", "once",
                    "twice", "what", "how", "why", "where", "not", "go", "be", "some", "nothing", "everything",
                    "anything", "something", "all", "his", "her", "their", "my", "your", "our", "its", "one",
                    "toward", "towards", "inside", "outside", "behind", "beside", "along", "against", "like"}
OPENING_QUOTE = re.compile(r"(?:^|(?<=\s))[\"“]|“")
# v16: place words that are also common surnames ("Ysolde Marsh", "Tom Wood", "Emma Hall")
SURNAME_PLACE_WORDS = {"Marsh", "Hill", "Wood", "Moor", "Fen", "Green", "Hall", "Mill", "Cross", "Lake", "Grove",
                       "Park", "Bridge", "Church", "Chapel", "Lane", "Forest", "Castle", "Brook", "Field", "Ford"}
# v16: an animal's name: "the pony Moggan", "the lead dog, Bracken", "The ram was called Absalom"
ANIMALS = ("dog|dogs|hound|hounds|bitch|pup|puppy|sheepdog|terrier|mastiff|pony|ponies|horse|horses|mare|stallion|"
           "gelding|colt|filly|cob|nag|mule|donkey|ox|oxen|cow|bull|ram|ewe|goat|pig|sow|boar|cat|kitten|tomcat|"
           "parrot|raven|hawk|falcon|owl|bear|wolf|camel")
ANIMAL_BEFORE = re.compile(r"\b(?:" + ANIMALS + r"),?[ \t]+(?:(?:was|were|is)[ \t]+(?:called|named)[ \t]+|(?:called|named)[ \t]+)?$",
                           re.I)
# v17: a ship, a barge or an engine by what it is called ("the Hales' barge Patience", "the frigate, the
# Patience", "the second mate of the Patience", "the buffer beam of the Patience"), an animal by what only
# animals do ("Clove whined", "Sultan's hooves", "riding Sultan", "Heel, Clove")
VESSELS = ("barge|barges|boat|ship|sloop|schooner|ketch|brig|brigantine|lugger|cutter|frigate|steamer|steamship|tug|"
           "tugboat|ferry|wherry|punt|skiff|dinghy|galley|trawler|smack|yacht|narrowboat|keelboat|airship|coracle|"
           "dhow|hulk|locomotive|engine|tender")
VESSEL_NAMED_BEFORE = re.compile(r"\b(?:(?:" + VESSELS + r")(?:[ \t]+(?:(?:was|is)[ \t]+)?(?:called|named)[ \t]+|[ \t]+|,[ \t]+the[ \t]+)"
                                 r"|(?:(?:first|second|third)[ \t]+mate|bridge|footplate|cab|buffer beam|smokebox|"
                                 r"firebox|tiller|prow|bowsprit)[ \t]+of[ \t]+(?:the[ \t]+)?)$", re.I)  # not "my ship, Aurelian"
ANIMAL_PARTS = ("hooves|hoofs|tail|muzzle|paws|mane|flanks|withers|fur|collar|leash|bridle|saddle|halter|harness|"
                "hackles|snout|whiskers|fetlocks|haunches|kennel|stall|manger|nosebag")
ANIMAL_AFTER = re.compile(r"^(?:['’]s\s+(?:" + ANIMAL_PARTS + r")\b|\s+(?:barked|barking|whined|whining|growled|growling|"
                          r"snarled|snarling|yelped|howled|bayed|whimpered|wagged|neighed|whinnied|nickered|pawed|"
                          r"galloped|cantered|grazed|purred|mewed|miaowed|meowed|bleated|brayed|lowed)\b)")
ANIMAL_VERB_BEFORE = re.compile(r"(?:\b(?:riding|rode|mounted|saddled|unsaddled|harnessed|unharnessed|groomed)[ \t]+|"
                                r"\bHeel,[ \t]+)$")
# v16: a family or a people: "the Marrak clan", "House Carrow", "the House of Tavrel", "the Varraki chief"
CLAN_AFTER = re.compile(r"^\s+(?:clan|clans|clansmen|clanswomen|clansfolk|kin|kindred|tribe|tribesmen|family|families|"
                        r"household|dynasty|chief|chiefs|chieftain|chieftains|elders)\b")
CLAN_BEFORE = re.compile(r"(?:\bHouse[ \t]+(?:of[ \t]+)?|\bclan[ \t]+)$")
# v16: a river, a mountain, an island or a realm has banks, slopes, shores and rulers: "the bank of the
# Sallow", "the middle of the Tern", "the queen of Korrath" (a person has a son or a wife: KIN, v10)
LANDMARK_BEFORE = re.compile(r"\b(?:bank|banks|shore|shores|mouth|waters|headwaters|source|ford|fords|slope|slopes|"
                             r"summit|foot|flank|flanks|peak|coast|coasts|middle|far side|streets|harbour|harbor|"
                             r"queen|king|ruler|rulers|governor|fishermen|people|folk|villages|towns|edge)\s+of\s+"
                             r"(?:the\s+)?$", re.I)
# v18: a river by what it does and has ("the Callow had shrunk", "the Ysse shrank back into its bed", "the
# Wendle bent east", "the Linnet ran thin") and a place by the common noun after it ("the Ilvey bridge", "the
# Sallow road"; not "pass" or "docks", verbs too: "the Chasers pass it"); only after "the", as people are not
# written
RIVER_AFTER = re.compile(r"^\s+(?:had\s+|has\s+|was\s+|is\s+)?(?:shrank|shrunk|shrinking|froze|frozen|thawed|flooded|"
                         r"flooding|overflowed|swelled|swollen|bent|wound|flowed|flows|meandered|silted|"
                         r"ran\s+(?:high|low|thin|dry|fast|brown|red|clear|full|deep|shallow)|in\s+(?:flood|spate))\b")
RIVER_ITS = re.compile(r"\bits\s+(?:bed|banks|bends|course|mouth|source|waters|spate|shallows|fords|ford|estuary|"
                       r"tributaries)\b")
PLACE_NOUN_AFTER = re.compile(r"^\s+(?:bridge|ford|valley|road|crossing|quay|quays|estuary|delta|shore|"
                              r"bank|banks|waterfront|towpath|floodplain|gorge|headland)\b(?!['’])")
# v18: a ship by what it is ("their barge the Imbrasca", "The Imbrasca was House Tesk's great barge", "the Brass
# Hen, the second engine")
VESSEL_THE_BEFORE = re.compile(r"\b(?:" + VESSELS + r")[ \t]+the[ \t]+$", re.I)
VESSEL_IS = re.compile(r"^(?:\s+(?:was|is)|,)\s+(?:(?:a|an|the|her|his|their|our|my|[A-Z][\w-]*(?:\s[A-Z][\w-]*)?['’]s)\s+)"
                       r"(?:[a-z-]+\s+){0,2}(?:" + VESSELS + r")(?=[\s,.;:!?])(?!\s+(?:captain|master|owner|builder|wright|"
                       r"cook|boy|crew|hand|hands))")

HEAD_WORDS = PLACE_WORDS | ORG_WORDS | OBJECT_WORDS | EVENT_WORDS
WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")
CAPITAL_AFTER = re.compile(r"^\s+([A-Z][\w'’-]*)")
NEXT_NAME = re.compile(r"[a-z,;:]\s+(?:Mr|Mrs|Miss|Professor|[A-Z][a-z]+)")


@dataclass
class Context:
    """What the text says around one term's occurrences (counts)."""
    seen: int = 0
    the: int = 0          # "the X"
    a: int = 0            # "a X", "an X": a countable thing
    place_prep: int = 0   # "in X", "at X"
    titled: int = 0       # "Mr. X", "Professor X", or a corpus title before it
    surname_titled: int = 0  # "Mr. X", "Colonel X": titles before surnames only (not "Aunt", "Sir")
    speech: int = 0       # "X said", "said X"
    pronouns: Counter = field(default_factory=Counter)  # male/female votes of the pronouns after it, as a subject
    any_pronouns: Counter = field(default_factory=Counter)  # ... in any position (weaker)
    plural: int = 0       # "Xs" (filled from word counts)
    before_name: int = 0  # a single word followed by a capitalised word that is no head word ("Magister Oake")
    the_alone: int = 0    # "the X" with no capitalised word after it ("the Magister")
    mid_sentence: int = 0  # capitalised not at a sentence start
    alone: int = 0        # mid-sentence, not next to another capitalised word
    before_person: int = 0  # before_name where the next word is a word of a name NER calls a person (v4 titles)
    spatial: int = 0      # a spatial preposition before it, or before "the" before it: "from X", "in the X" (v4)
    temporal: int = 0     # a preposition of time before it, or before "the" before it: "until X", "since the X" (v8)
    gendered: Counter = field(default_factory=Counter)  # male/female votes of a gendered word right before it (v6)
    before_name_inline: int = 0  # before_name on the same line, the next word no weekday or month (v10)
    addressed: int = 0    # spoken to: "Veyra," he said; "Thank you, Veyra." (v10)
    kin: int = 0          # a relative's word: "son of X", "X's wife" (v10)
    vessel: int = 0       # boarded, sails, has a hull or a crew: "aboard the X", "the X's oars" (v12)
    building: int = 0     # has doors or a landlord, or "the X" called an inn in its sentence (v12)
    italic: int = 0       # written in italics, a work's or a ship's name: "*The Salt Bride*" (v12)
    clan: int = 0         # a family's or a people's: "the X clan", "House X", "the X chief" (v16)
    landmark: int = 0     # a river's, a mountain's or a realm's: "the bank of the X", "the queen of X" (v16)
    animal: int = 0       # an animal's: "the pony X", "the lead dog, X", "the ram was called X" (v16); "X whined",
    #                       "X's hooves", "riding X" (v17)


def find_occurrences(terms, texts: dict[str, str], max_per_term: int = 200):
    """term -> [(doc_id, start, end)] of whole-word, case-sensitive occurrences (capped per term)."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for t in terms:
        automaton.add_word(t, t)
    out: dict[str, list] = {t: [] for t in terms}
    if not len(automaton):
        return out
    automaton.make_automaton()
    for doc_id, text in texts.items():
        for end, term in automaton.iter(text):
            start = end + 1 - len(term)
            if (start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-_")) or \
                    (end + 1 < len(text) and (text[end + 1].isalnum() or text[end + 1] in "-_")):
                continue
            hits = out[term]
            if len(hits) < max_per_term:
                hits.append((doc_id, start, end + 1))
    return out


QUOTES = "\"“”"
# v10: the words of kinship, between people only ("son of Halbran", "Halbran's wife")
KIN = {"son", "daughter", "wife", "husband", "father", "mother", "widow", "widower", "brother", "sister", "nephew",
       "niece", "grandson", "granddaughter", "grandfather", "grandmother"}
KIN_AFTER = re.compile(r"^['’]s (?:" + "|".join(sorted(KIN)) + r")\b")
CALENDAR = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
            "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
CLOSING_AFTER = re.compile(r"^[,.!?;]?[\"”]")


def read_contexts(occurrences: dict[str, list], texts: dict[str, str], titles: set[str],
                  person_words: frozenset[str] = frozenset(), level: int = 9) -> dict[str, Context]:
    """One Context per term from its occurrences; `person_words` are the words of names NER calls people.

    v10 (`level` >= 10): a name spoken to is not the one a pronoun after it stands for ("Veyra," he said;
    "Thank you, Veyra." She ...), and a quotation after a name speaks of anything ("Dunnet wiped his hands.
    "She is only a keel yet."": the ship)."""
    out = {}
    title_words = {t.lower() for t in titles}
    for term, hits in occurrences.items():
        c = Context()
        for doc_id, start, end in hits:
            text = texts[doc_id]
            c.seen += 1
            before = text[max(0, start - 40):start]
            prev = WORD_RE.findall(before)[-2:]
            p1 = prev[-1] if prev else ""
            gap = before[before.rfind(p1) + len(p1):] if p1 else before
            sentence_start = not p1 or bool(re.search(r"[.!?\"“”\n]", gap))
            if not sentence_start:
                c.mid_sentence += 1
            owner = bool(re.match(r"['’]s\s+[A-Z]", text[end:end + 4]))  # "Godric's Hollow": the place is the Hollow
            if owner:
                p1 = ""
            if p1.lower() == "the":
                c.the += 1
            elif p1.lower() in ("a", "an"):
                c.a += 1
            p0 = prev[0].lower() if len(prev) > 1 else ""
            if p1.lower() in PLACE_PREPS and not (p1.lower() == "at" and p0 in AT_VERBS) and not gap.strip(" "):
                c.place_prep += 1
            via = p0 if p1.lower() == "the" else p1.lower()
            if via in SPATIAL and not (via == "at" and (p0 if p1.lower() != "the" else "") in AT_VERBS) \
                    and not gap.strip(" "):
                c.spatial += 1
            if via in TEMPORAL and not gap.strip(" "):
                c.temporal += 1
            if p1.lower() in GENDER_OF_WORD and (not gap.strip() or (gap.strip() == "." and p1.lower() in ABBREVIATED)):
                c.gendered[GENDER_OF_WORD[p1.lower()]] += 1
            if p1 and (p1.rstrip(".").lower() in title_words or p1 in SURNAME_TITLES) and not re.search(r"[!?\"“”\n]", gap):
                c.titled += 1
                c.surname_titled += p1.rstrip(".") in SURNAME_TITLES and not CAPITAL_AFTER.match(text[end:end + 40])
            after = text[end:end + 160]
            if after[:2] in ("'s", "’s"):
                after = after[2:]
            nxt = CAPITAL_AFTER.match(after)
            if level >= 11 and nxt and "\n" in after[:nxt.start(1)]:
                nxt = None  # v11: a heading's last word ("# The Sevenbar") stands before no name on the next line
            if nxt and " " not in term and nxt.group(1) not in HEAD_WORDS:
                c.before_name += 1
                c.before_person += nxt.group(1) in person_words
                # "Thalarch Ombris", not a heading's last word before the next line, nor "the Idrenne Friday"
                inline = after[:1] == " " and after[1:2] != " " and nxt.group(1) not in CALENDAR
                if inline and level >= 11:  # "the Sevenbar Ranch": a ranch, not a rank before a name
                    inline = _name_like(nxt.group(1))
                c.before_name_inline += inline
            if not nxt and p1.lower() in ARTICLES:
                c.the_alone += 1
            if not sentence_start and not nxt and not (p1[:1].isupper() and not gap.strip()):
                c.alone += 1
            first_words = WORD_RE.findall(after[:30])[:2]
            if (first_words and first_words[0].lower() in SPEECH) or (p1.lower() in SPEECH and not sentence_start):
                c.speech += 1
            spoken_to = level >= 10 and _addressed(gap, text[end:end + 3])
            c.addressed += spoken_to
            if level >= 10 and ((p1 == "of" and p0 in KIN and not gap.strip()) or KIN_AFTER.match(text[end:end + 16])):
                c.kin += 1  # "Kestor son of Halbran", "Halbran's son": people have relatives
            apostrophe_s = text[end:end + 2] in ("'s", "’s")  # "X's ...", whatever follows
            if level >= 12:
                ship_before = bool(VESSEL_BEFORE.search(before))  # "aboard the X", read once for v12, v17 and v18
                c.vessel += ship_before or bool(VESSEL_AFTER.match(text[end:end + 40]))
                c.italic += bool(ITALIC_BEFORE.search(before) and text[end:end + 1] == "*" and text[end + 1:end + 2] != "*")
                if p1.lower() == "the" and not gap.strip():
                    line_start = max(text.rfind(m, 0, start) for m in ".!?\n")  # the sentence around it
                    line_end = min((i for i in (text.find(m, end) for m in ".!?\n") if i >= 0), default=len(text))
                    c.building += bool(BUILDING_BEFORE.search(before) or BUILDING_AFTER.match(text[end:end + 30])
                                       or ESTABLISHMENTS.search(text[line_start + 1:start] + " " + text[end:line_end]))
            if level >= 16:
                # (not "a Muggle family": a kind of family, not the family's name)
                c.clan += bool((CLAN_AFTER.match(text[end:end + 20]) and p1.lower() not in ("a", "an"))
                               or CLAN_BEFORE.search(before))
                # (not "the middle of Marjolaine's speech": the speech is in the middle)
                landmark_before = bool(LANDMARK_BEFORE.search(before))
                c.landmark += landmark_before and not apostrophe_s
                c.animal += bool(ANIMAL_BEFORE.search(before)
                                 or (level >= 17 and (ANIMAL_AFTER.match(text[end:end + 30])
                                                      or ANIMAL_VERB_BEFORE.search(before))))
            if level >= 17:
                named_before = bool(VESSEL_NAMED_BEFORE.search(before))
                c.vessel += named_before and not ship_before
            if level >= 18:
                c.vessel += bool(VESSEL_THE_BEFORE.search(before) or VESSEL_IS.match(text[end:end + 80])) \
                    and not (ship_before or named_before)
                if p1.lower() == "the" and not gap.strip() and not apostrophe_s:
                    clause = re.split(r"[.;!?\"“”]", text[end:end + 80], maxsplit=1)[0]
                    c.landmark += bool(RIVER_AFTER.match(clause) or RIVER_ITS.search(clause)
                                       or PLACE_NOUN_AFTER.match(clause)) and not landmark_before
            sentence, *rest = re.split(r"(?<=[.!?])\s+", after, maxsplit=1)
            if level >= 12:  # v12: what is said inside a quotation after a name is about someone else
                quote = OPENING_QUOTE.search(sentence)
                sentence = sentence[:quote.start()] if quote else sentence
            other = NEXT_NAME.search(sentence)
            found, possessive = None, False
            said = WORD_RE.findall(sentence[: other.start() if other else len(sentence)])[:13]
            for i, w in enumerate(said[:12]):
                low = w.lower()
                if low in PRONOUNS:
                    found = low
                    break  # the first pronoun after a name is the one most likely to be its own
                if level >= 12 and low in ("his", "her", "him"):
                    # v12: a possessive is mostly the subject's ("Isbet turned her cup"; counted as a pronoun
                    # in any position only), an object is someone else ("looked at her", "told him"): it ends
                    # the search
                    nxt_word = said[i + 1] if i + 1 < len(said) else ""
                    if low == "his" or (low == "her" and _possessive_before(nxt_word)):
                        found, possessive = ("he" if low == "his" else "she"), True
                    break
            if found is None and rest and (sentence_start or not other) and not (level >= 10 and rest[0].startswith(tuple(QUOTES))):
                opening = WORD_RE.findall(rest[0][:12])[:1]  # "... of Hogwarts. He ..."
                found = opening[0].lower() if opening and opening[0] in ("He", "She") else None
            # Only a name in subject position owns the pronoun after it ("killed Lily Potter, but his curse ...").
            if found and text[end:end + 1] not in ("'", "’") and not spoken_to:
                c.any_pronouns[PRONOUNS[found]] += 1
                coordinated = p1.lower() == "and" and len(prev) > 1 and prev[0][:1].isupper()  # "James and Lily"
                # a possessive is weaker evidence: "Hermione corrected his pronunciation" is Ron's
                if not possessive and (sentence_start or (p1.lower() in CLAUSE_OPENERS and not coordinated)):
                    c.pronouns[PRONOUNS[found]] += 1
        out[term] = c
    return out


@functools.lru_cache(maxsize=None)
def _name_like(word: str) -> bool:
    """v11: a word that can be a person's name: a known given name, or a word no English dictionary lists."""
    from anchors.gender import is_known_name
    from anchors.lexicon import english_word

    return is_known_name(word) or not english_word(word)


@functools.lru_cache(maxsize=None)
def _possessive_before(word: str) -> bool:
    """v12: "her" before `word` is a possessive ("her cup", "her threading"), not an object ("her alongside",
    "her on the cart"): a lower-case word that can be a noun or an adjective, or an inflected word."""
    from anchors.lexicon import english_word, parts_of_speech

    if not word[:1].islower() or word in OBJECT_AFTER_HER:
        return False
    pos = parts_of_speech(word)
    return bool(pos - {"adv", "verb"}) or (not pos and english_word(word))


def _addressed(gap: str, after: str) -> bool:
    """v10: a name spoken to: right after an opening quotation mark and before a comma ("Veyra, grey lady,"),
    or after a comma and right before the end of the quotation ("Thank you, Veyra.")."""
    opening = gap.rstrip(" ")[-1:]
    if opening and opening in QUOTES and after[:1] == ",":
        return True
    return gap.strip() == "," and bool(CLOSING_AFTER.match(after))


def corpus_titles(counts: Counter, contexts: dict[str, Context], level: int = 3, min_before: float = 0.5) -> set[str]:
    """Titles: the known ones, and capitalised words the corpus writes before names and with an article
    ("Magister Oake" and "the Magister", "Harbourmaster Fenwhistle" and "the Harbourmaster").

    v3 wants half the mentions before a name; v4 also takes a word written both ways, twice or more each,
    before a person's name, and used in no other way in most of its mentions ("Abbess Corry" x4 and "the
    Abbess" x5 of 9; "the Snitch" never precedes a person; "a Dementor" is a kind, not a rank). v8 also
    takes a role compound written once before a name and never with "a" ("Lampwarden Quade"); v9 one
    written mostly as "the X" and never "a X" ("the Saltreeve"), and the offices and forms of address of
    TITLES_V9; v10 an invented word (no dictionary lists it) written at least once before a name and in
    half its mentions as "the X", never "a X" and hardly ever gone to ("Thalarch Ombris", "the Thalarch"), and
    no word written after "Mr" or "Mrs" is a title there ("Mr Fenwright", a surname like "Wainwright"); v16
    an invented word written twice before names on their line and alone as "the X", the two together in most
    of its mentions, never "a X" ("Yurin Taskar", "Yurin Ashka", "the Yurin")."""
    from anchors.lexicon import parts_of_speech

    found = {t.capitalize() for t in TITLES | TITLE_WORDS | (TITLES_V9 if level >= 9 else set())}
    for word, c in contexts.items():
        if " " in word or not word[:1].isupper():
            continue
        role = level >= 8 and role_compound(word, level)
        if c.seen < (2 if role else 3):
            continue
        if level >= 10 and c.titled >= max(2, 0.2 * c.seen):
            continue  # v10: "Mr Fenwright" is a man, whatever "-wright" says; titles follow no "Mr"
        # v11: before a name on the same line ("The Sevenbar" as a heading, then "Sevenbar Ranch", is a ranch)
        before = c.before_name_inline if level >= 11 else c.before_name
        if before >= min_before * c.seen and c.the_alone >= 1:
            found.add(word)
        elif role and c.before_name >= 1 and c.a == 0:
            found.add(word)  # "Lampwarden Quade", "the Lampwarden": a role's name written as a title
        elif level >= 15 and role and c.before_name_inline >= 2 \
                and c.a <= max(1, 0.2 * c.seen) and c.spatial + c.place_prep <= 0.2 * c.seen:
            # v15: a rank is explained once ("In Carvenna a Linesmaster was neither an engineer nor a clerk")
            # and written before names on their line ("Linesmaster Hale" x3); "a Dementor" precedes none
            found.add(word)
        elif role and level >= 9 and c.a == 0 and c.the_alone >= 0.5 * c.seen and not c.spatial + c.place_prep:
            found.add(word)  # v9: "the Saltreeve" every time, never gone to: an office, even when no name follows it
        elif level >= 10 and c.a == 0 and c.before_name_inline >= 1 and c.the_alone >= max(2, 0.5 * c.seen) \
                and c.spatial + c.place_prep <= 0.2 * c.seen and not parts_of_speech(word.lower()):
            found.add(word)  # v10: an invented word that is "the Thalarch" and once "Thalarch Ombris": a rank
        elif level >= 16 and c.a == 0 and c.before_name_inline >= 2 and c.the_alone >= 1 \
                and c.before_name_inline + c.the_alone >= 0.6 * c.seen and c.spatial + c.place_prep <= 0.2 * c.seen \
                and not parts_of_speech(word.lower()):
            found.add(word)  # v16: an invented word before names and "the X" alone in most of its mentions: a rank
        elif level >= 4 and c.before_person >= 2 and c.the_alone >= 2 and c.before_person + c.the_alone >= 0.6 * c.seen \
                and c.a <= 0.1 * c.seen:  # "a Dementor" is a kind of thing, not a rank
            found.add(word)
    return found


def head_groups(level: int) -> tuple[tuple[set[str], str], ...]:
    """The head words a multi-word name's last (or, before "of", first) word is looked up in, with the type
    each group votes, at a rule level: landforms from v5 (more from v6 and v8), more organisations and
    events from v8, banks and assemblies as organisations only from v9, buildings for shows from v10,
    polities, associations and railways, hard seasons ("the Long Frost") from v11."""
    places = PLACE_WORDS | (LANDFORMS if level >= 5 else set()) | (LANDFORMS_V6 if level >= 6 else set()) \
        | (LANDFORMS_V8 if level >= 8 else set())
    orgs, events = (ORG_WORDS | ORG_WORDS_V8, EVENT_WORDS | EVENT_WORDS_V8) if level >= 8 else (ORG_WORDS, EVENT_WORDS)
    if level >= 9:
        places, orgs = (places - ORG_WORDS_V9) | PLACE_WORDS_V9, (orgs | ORG_WORDS_V9) - PLACE_WORDS_V9
    if level >= 10:
        places |= PLACE_WORDS_V10
    if level >= 11:
        places, orgs, events = places | PLACE_WORDS_V11, orgs | ORG_WORDS_V11, events | EVENT_WORDS_V11
    if level >= 15:
        places |= PLACE_WORDS_V15
    return (places, "place"), (orgs, "organisation"), (OBJECT_WORDS, "object"), (events, "event")


def type_votes(term: str, ctx: Context | None, ner: Counter, counts: Counter, known_name, is_title,
               kin: int = 0, level: int = 3) -> Counter:
    """Votes for person / place / organisation / object / event / title; the NER labels are one voice among
    the corpus's own: titles, person verbs and pronouns after it, place prepositions and articles before it.
    `level` is the dictionary's rule level (3 for decide_v3; 4 adds the spatial vote, head words scored 5).

    v5 (implies v4): landform heads vote place, an exact head match beats a plural stripped to another
    group's head, and one pronoun after a name is no evidence ("at Ain Zerya. He ..."): it takes two.
    v6 (implies v5): more landform heads, and an invented word ending like a festival votes event.
    v8 (implies v6): more heads of organisations, events and landforms, "-mas" festivals, and a name mostly
    placed in time ("until X", "before X", "since the X") votes event and its "at X" says when, not where.
    v9 (implies v8): a known given name before a landform word is mostly a person ("Agnes Moss": the head
    votes 2, not 5), and a first word of PLACE_PREFIXES makes a name without a head a place ("Hotel X").
    v10 (implies v9): a name spoken to ("Veyra," he said) votes person, as a person verb does, and so does
    a kinship word ("son of Halbran", "Halbran's wife").
    v11 (implies v10): the v9 given-name rule spares a name mostly written "the X" ("the Long Flood").
    v12 (implies v11): a name boarded, sailed or in italics votes object (a ship, a work), one with doors, a
    landlord or called an inn votes place (a building).
    v16 (implies v12): a clan's or a house's name votes family ("the Marrak clan", "House Carrow"), one with
    banks, slopes or rulers votes place ("the bank of the Sallow"), a named animal object ("the pony Moggan"),
    a saint person and her church place ("Saint Orrin", "Saint Elfrith's"), and a given name before a place
    word is a person when others share the surname ("Clara Marsh" beside "Tobias Marsh") or pronouns follow
    it and it is never gone to ("Ysolde Marsh ... her")."""
    v4, v5, v6, v8, v9, v10 = level >= 4, level >= 5, level >= 6, level >= 8, level >= 9, level >= 10
    votes: Counter = Counter()
    parts = term.split()
    matched = False  # the type a multi-word name's head word votes
    when = False  # v4: "at Lantern Night", "on Lantern Night" say when, not where
    n = max(1, sum(ner.values()))
    for label, k in ner.items():
        typ = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "ORG": "organisation",
               "NORP": "organisation", "PRODUCT": "object", "WORK_OF_ART": "object", "EVENT": "event",
               "NOUN": "object"}.get(label)
        if typ:
            votes[typ] += k / n
    if len(parts) > 1:
        head = parts[0] if len(parts) > 2 and parts[1] == "of" else parts[-1]
        groups = head_groups(level)
        exact = v5 and any(head in group for group, _ in groups)
        # v9: a given name before a head word that names no building or street (a landform, a thing) is a
        # person whose surname is a word ("Agnes Moss"); "Victoria Station" keeps its place
        # v11: ... but a name written "the X" is no person ("the Long Flood": "Long" is also a given name)
        definite = level >= 11 and ctx is not None and ctx.seen and ctx.the >= 0.5 * ctx.seen
        # v16: ... and so is one whose surname others share, whatever it names ("Clara Marsh", "Tobias Marsh"),
        # and one of an invented first name and a surname that is a place word, never gone to but followed by
        # pronouns ("Ysolde Marsh ... her")
        surname = level >= 16 and len(parts) == 2 and head in SURNAME_PLACE_WORDS and not definite and ctx is not None \
            and ctx.any_pronouns.total() >= 2 and not ctx.place_prep + ctx.spatial + ctx.the
        weight = 2 if (v9 and len(parts) == 2 and known_name(parts[0]) and not definite
                       and (head not in PLACE_WORDS or (level >= 16 and kin))) or surname else 5 if v4 else 4
        if surname and not known_name(parts[0]):
            votes["person"] += 2
        for group, typ in groups:
            if head in group or (not exact and head.endswith("s") and head[:-1] in group):  # "Disarming Charms"
                votes[typ] += weight
                when = v4 and typ == "event"
                matched = typ
        if v9 and not matched and parts[0] in PLACE_PREFIXES:  # "Hotel Amberlaine", "Mount Selleck"
            votes["place"] += 5
        if level >= 16 and parts[0] == "House" and (len(parts) == 2 or parts[1] == "of") \
                and not any(p in HEAD_WORDS for p in parts[1:]):
            votes["family"] += 6  # v16: "House Carrow", "the House of Tavrel": a family, not a building
        if level >= 16 and parts[0] == "Saint" and len(parts) == 2:  # v16: a saint, or her church
            votes["place" if parts[1].endswith(("'s", "’s")) else "person"] += 5
        if known_name(parts[0]) and parts[-1][:1].isupper() and "of" not in parts:
            votes["person"] += 2
        elif len(parts) == 2 and all(p[:1].isupper() for p in parts) and not (ctx and ctx.the) \
                and not any(p in HEAD_WORDS for p in parts):
            votes["person"] += 1  # two capitalised words, no head word, never "the ...": "Argus Filch"
    elif is_title(term):
        votes["title"] += 5
    elif v6 and _festival(term, FESTIVAL_ENDINGS_V8 if v8 else FESTIVAL_ENDINGS):
        votes["event"] += 3
        when = v8  # "at Kindlemass" says when
    if not term[:1].isupper():
        votes["object"] += 3
    if ctx and ctx.seen:
        s = ctx.seen
        said = ctx.pronouns.total() if not v5 or ctx.pronouns.total() >= 2 else 0
        if v8 and ctx.temporal >= 2 and ctx.temporal >= 0.15 * s and (ctx.titled + ctx.speech + said) < 0.25 * s:
            # "work until Candleturn", "since the Greyfall": people are met before and after too, but they
            # also speak and take pronouns and titles; a name mostly placed in time is a time
            votes["event"] += 1.5 + 4 * ctx.temporal / s
            when = True
        votes["person"] += 3 * ctx.titled / s + 3 * ctx.speech / s + 1.0 * min(1.0, said / (0.3 * s))
        if v10:  # people, gods and beasts are spoken to and have kin; places and things hardly ever
            votes["person"] += 3 * ctx.addressed / s + 2 * ctx.kin / s
        votes["person"] -= 3 * (ctx.the + ctx.a) / s
        votes["place"] += (0 if when else 6 * ctx.place_prep / s) + 0.6 * ctx.the / s
        votes["object"] += 4 * ctx.a / s + 1.2 * ctx.the / s
        votes["organisation"] += 1.0 * ctx.the / s
        if level >= 12:
            # v12: boarded and sailed, or written in italics: a ship or a work, whatever its words or NER say;
            # with doors, a landlord or called an inn: a building. In a quarter of its mentions or more, this
            # outvotes the head word ("the Salt Lamp" names no lamp)
            ship, building = ctx.vessel + ctx.italic, ctx.building
            votes["object"] += 6 * ship / s + (5 if ship >= 0.25 * s else 0)
            # (a head word of a place, a body or an event keeps its say: "a saloon car of the Northern Railway")
            votes["place"] += 6 * building / s + (5 if building >= 0.25 * s and matched in (False, "object") else 0)
        if level >= 16:
            # v16: a family or a people ("the Marrak clan", "the Varraki chief"); a river, a mountain or a realm
            # ("the bank of the Sallow", "the queen of Korrath")
            votes["family"] += 6 * ctx.clan / s + (4 if ctx.clan >= 0.1 * s else 0)
            votes["place"] += 6 * ctx.landmark / s + (2 if ctx.landmark else 0)
            votes["object"] += 6 * ctx.animal / s + (5 if ctx.animal >= max(1, 0.1 * s) else 0)  # a named animal
        if v4 and not when:
            # Places are gone to, come from and stood in; people are too, but people also speak, take pronouns
            # and titles, so the spatial vote counts fully only for a term with little of that.
            personal = (ctx.titled + ctx.speech + said + (ctx.addressed + ctx.kin if v10 else 0)) / s
            votes["place"] += 3 * ctx.spatial / s * (1.0 if personal < 0.15 else 0.3)
            # "the Saltwardens" beside "Saltwarden": a body of people, unless the word is a family's name.
            if len(parts) == 1 and term.endswith("s") and counts.get(term[:-1], 0) and ctx.the >= 0.5 * s \
                    and not kin and not known_name(term[:-1]):
                votes["organisation"] += 2
    if len(parts) == 1 and known_name(term):
        votes["person"] += 1.5
    # Co-occurring family names: "Draco Malfoy" beside "Lucius Malfoy" and "Narcissa Malfoy", or a
    # single word that starts or ends a name typed person.
    votes["person"] += (1.0 if len(parts) == 1 else 1.5) * min(kin, 2)
    return votes


# v8: the last part of a compound that names a role ("Harbourmaster", "Lampwarden", "Drownwright").
ROLE_ENDINGS = ("master", "mistress", "warden", "keeper", "wright", "smith", "herd", "reeve", "monger", "ward")


# v9: more roles ("Keyholder", "Standardbearer").
ROLE_ENDINGS_V9 = ROLE_ENDINGS + ("holder", "bearer")


def role_compound(word: str, level: int = 8) -> bool:
    """An English word followed by a role noun, written as one word: "Lampwarden", "Harbourmaster"; from v9
    also "-holder", "-bearer"."""
    from anchors.lexicon import english_word

    w = word.lower()
    endings = ROLE_ENDINGS_V9 if level >= 9 else ROLE_ENDINGS
    return w.isalpha() and any(w.endswith(e) and len(w) - len(e) >= 3 and english_word(w[:-len(e)]) for e in endings)


def _festival(word: str, endings: tuple[str, ...] = FESTIVAL_ENDINGS) -> bool:
    """An invented word ending like a festival's name: "Kindlenight", not "fortnight" (an English word)."""
    from anchors.lexicon import parts_of_speech

    low = word.lower()
    return any(low.endswith(e) and len(low) >= len(e) + 3 for e in endings) and not parts_of_speech(low)


def choose_type(votes: Counter) -> str:
    if not votes or max(votes.values()) <= 0:
        return "object"
    order = ["person", "place", "organisation", "object", "event", "title", "family"]
    return max(order, key=lambda t: (votes[t], -order.index(t)))


def pronoun_gender(votes: Counter, min_votes: int = 2, share: float = 0.75) -> str:
    """male / female when the first pronouns after a name's mentions (in subject position) agree, else unknown."""
    if votes.total() < min_votes:
        return "unknown"
    male, female = votes["male"], votes["female"]
    if male >= share * (male + female):
        return "male"
    if female >= share * (male + female):
        return "female"
    return "unknown"


def explain_evidence(term: str, texts: dict[str, str], ner: Counter, known_name, titles: set[str] = frozenset(),
                     level: int = 3) -> dict:
    """What `obliviate explain` shows of a term's context: NER labels, context counts, type votes (by the rules
    of the dictionary's `level`, anchors/build_v3.rule_level), pronouns."""
    ctx = read_contexts(find_occurrences([term], texts), texts, set(titles), level=level)[term]
    votes = type_votes(term, ctx, ner, Counter(), known_name, lambda w: w in titles, level=level)
    return {"NER labels": dict(ner.most_common()), "occurrences read": ctx.seen, "'the X'": ctx.the, "'a X'": ctx.a,
            "'in/at X'": ctx.place_prep, "'from/to/in the X'": ctx.spatial, "'until/since X'": ctx.temporal, "titled": ctx.titled, "person verbs": ctx.speech,
            "pronouns after (subject)": dict(ctx.pronouns), "pronouns after (any)": dict(ctx.any_pronouns),
            **({"ship cues": ctx.vessel, "building cues": ctx.building, "in italics": ctx.italic} if level >= 12 else {}),
            **({"clan cues": ctx.clan, "landmark cues": ctx.landmark, "animal cues": ctx.animal} if level >= 16 else {}),
            "type votes": {k: round(v, 2) for k, v in votes.most_common()}, "type": choose_type(votes)}
