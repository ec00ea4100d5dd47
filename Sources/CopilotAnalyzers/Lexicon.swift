/// The language-specific word lists behind the analyzers: sentiment valences
/// and modifiers, stopwords, greetings. One value per language, selected by a
/// language code (`Lexicon.forLanguage("en-GB")` → `.english`); adding a
/// language means adding another static value and a case in `forLanguage`.
public struct Lexicon: Sendable {
    public var language: String
    /// Word → valence on a -4…+4 scale (lowercase words).
    public var valences: [String: Double]
    /// Words that scale the sentiment word right after them: > 1 intensifies ("very"), < 1 softens ("slightly").
    public var modifiers: [String: Double]
    /// Two-word modifiers ("kind of", "a bit"), keyed by the two words joined with a space.
    public var phraseModifiers: [String: Double]
    /// A sentiment word is ignored right after one of these words ("would like", "looks like").
    public var neutralAfter: [String: Set<String>]
    /// Words that negate a sentiment word up to three words later ("not", "don't", "never").
    public var negators: Set<String>
    /// Words that shift the weight of a message to what follows them ("but").
    public var contrasts: Set<String>
    /// Emoticons and emoji → valence. ASCII emoticons are matched as whole
    /// chunks between spaces (or at the end of a word); emoji anywhere.
    public var emoticons: [String: Double]
    /// Words left out of search queries, indexes and summaries.
    public var stopwords: Set<String>
    /// Chat words that say when or how rather than what ("monday", "yesterday",
    /// "supposed"): left out of the copilot's knowledge query on top of the stopwords.
    public var chatFiller: Set<String>
    /// Words that make up a greeting or small talk ("hi", "thanks", "good morning").
    public var greetings: Set<String>
    /// Words of a bare request for a person ("agent please", "talk to a human").
    public var handoverWords: Set<String>

    public init(language: String, valences: [String: Double], modifiers: [String: Double],
                phraseModifiers: [String: Double] = [:], neutralAfter: [String: Set<String>] = [:], negators: Set<String>,
                contrasts: Set<String>, emoticons: [String: Double], stopwords: Set<String>, chatFiller: Set<String> = [],
                greetings: Set<String>, handoverWords: Set<String>) {
        self.language = language
        self.valences = valences
        self.modifiers = modifiers
        self.phraseModifiers = phraseModifiers
        self.neutralAfter = neutralAfter
        self.negators = negators
        self.contrasts = contrasts
        self.emoticons = emoticons
        self.stopwords = stopwords
        self.chatFiller = chatFiller
        self.greetings = greetings
        self.handoverWords = handoverWords
    }

    /// The lexicon for a BCP 47 language code ("en", "en-GB", "EN_us"), or nil when there is none.
    public static func forLanguage(_ code: String) -> Lexicon? {
        let primary = code.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? ""
        switch primary {
        case "en", "eng", "english": return .english
        default: return nil
        }
    }

    /// The valence of a lowercase word: the word itself, else without a plural "s".
    public func valence(of word: String) -> Double? {
        if let v = valences[word] { return v }
        if word.utf8.count > 3, word.utf8.last == UInt8(ascii: "s") { return valences[String(word.dropLast())] }
        return nil
    }

    /// Parses "word value" pairs separated by white space (the compact source format of the lists below).
    static func pairs(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        let items = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        var i = 0
        while i + 1 < items.count {
            guard let value = Double(items[i + 1]) else { preconditionFailure("lexicon: no value for \(items[i])") }
            result[String(items[i])] = value
            i += 2
        }
        return result
    }

    static func words(_ text: String) -> Set<String> {
        Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }
}

extension Lexicon {
    /// A compact English lexicon for customer-service chat: ~330 words with
    /// valences on VADER's -4…+4 scale (written for this project, tuned on
    /// support conversations: "late", "broken", "refund"-adjacent complaints
    /// are mildly negative; "thanks", "helpful" positive).
    public static let english = Lexicon(
        language: "en",
        valences: pairs(englishValences),
        modifiers: pairs(englishModifiers),
        phraseModifiers: ["kind of": 0.7, "sort of": 0.7, "a bit": 0.6, "a little": 0.6, "a tad": 0.6, "way too": 1.4],
        neutralAfter: [
            "like": ["would", "i'd", "we'd", "you'd", "id", "look", "looks", "looked", "looking", "seem", "seems", "seemed",
                     "feel", "feels", "felt", "sound", "sounds", "something", "anything", "nothing", "just", "more", "things"],
            "kind": ["what", "any", "some", "this", "that", "same", "which", "every"],
            "fine": ["a", "the"],
            "sorry": ["i'm", "im", "am", "so", "very", "really", "we're", "were"],
        ],
        negators: words(englishNegators),
        contrasts: ["but", "however", "although", "though", "yet"],
        emoticons: pairs(englishEmoticons),
        stopwords: words(englishStopwords),
        chatFiller: words(englishChatFiller),
        greetings: words(englishGreetings),
        handoverWords: words(englishHandoverWords))
}

private let englishValences = """
    good 1.9 great 3.1 excellent 3.3 amazing 3.0 awesome 3.1 fantastic 3.2 wonderful 3.1 perfect 3.0 perfectly 2.2
    love 3.0 loved 2.9 loving 2.6 lovely 2.8 like 1.3 liked 1.5 nice 1.8 nicely 1.6 happy 2.7 happier 2.4 glad 2.0
    pleased 2.2 pleasant 2.2 pleasure 2.4 satisfied 1.9 satisfying 2.0 thanks 1.6 thank 1.5 thankful 2.0 thx 1.4
    grateful 2.3 appreciate 2.0 appreciated 2.1 helpful 2.1 fine 0.8 ok 0.4 okay 0.4 cool 1.3 best 3.0 better 1.9
    brilliant 2.8 superb 3.1 outstanding 3.0 fast 1.2 faster 1.1 quick 1.3 quickly 1.0 easy 1.6 easily 1.2 smooth 1.4
    smoothly 1.4 friendly 2.0 kind 1.8 kindly 1.2 polite 1.5 professional 1.5 reliable 1.8 resolved 1.8 solved 1.9
    recommend 1.8 recommended 1.6 impressed 2.2 impressive 2.3 enjoy 2.1 enjoyed 2.2 excited 2.1 exciting 2.0
    delighted 3.0 positive 1.8 success 2.3 successful 2.2 wow 2.1 yay 2.4 beautiful 2.8 beautifully 2.6
    affordable 1.3 fair 1.2 generous 2.2 patient 1.5 relieved 1.9 relief 1.7 convenient 1.8 efficient 1.8
    accurate 1.4 useful 1.8 valuable 2.0 welcome 1.5 cheers 1.6 legend 2.0 hero 2.0 stellar 2.8 flawless 2.9
    seamless 2.2 speedy 1.6 prompt 1.2 promptly 1.3 clear 1.1 ideal 2.2 favorite 2.0 favourite 2.0 fun 2.1 hope 1.0
    hopeful 1.6 trust 1.7 trusted 1.7 calm 1.3 secure 1.4 safe 1.5 win 2.0 bonus 1.5 gift 1.6 congrats 2.3
    congratulations 2.6 reassured 1.8 reassuring 1.9 understanding 1.3 courteous 2.0 attentive 1.9 responsive 1.8
    fabulous 3.0 terrific 3.0 marvelous 3.0 marvellous 3.0 joy 2.8 thrilled 3.0 ecstatic 3.2 gorgeous 2.9
    awesomeness 3.0 excellence 3.0 fantastically 2.9 wonderfully 2.9 gladly 1.9 happily 2.2 worth 1.4 worthwhile 1.9
    valued 1.6 solid 1.3 sweet 1.8 neat 1.6 comfortable 1.7 comfy 1.7 easier 1.4 improved 1.7
    improvement 1.6 fixed 1.3 sorted 1.1 works 0.9 glorious 2.9 incredible 2.8 super 2.0
    handy 1.5 simple 1.0 straightforward 1.4 effortless 2.0 honest 1.7 genuine 1.6 polished 1.5 lifesaver 2.8
    blessed 2.3 goodness 1.6 kudos 2.3 praise 2.1 admire 2.1 rocks 2.0
    bad -2.5 terrible -3.1 horrible -3.2 awful -3.1 worst -3.4 worse -2.1 poor -2.1 poorly -2.0 hate -2.9 hated -2.8
    dislike -1.7 angry -2.6 anger -2.5 furious -3.2 mad -2.2 annoyed -2.0 annoying -2.2 irritated -2.1 irritating -2.1
    frustrated -2.3 frustrating -2.4 frustration -2.3 disappointed -2.3 disappointing -2.3 disappointment -2.4
    upset -2.3 unhappy -2.3 sad -2.1 useless -2.5 pathetic -2.8 ridiculous -2.4 unacceptable -2.8 disgusting -3.0
    disgraceful -3.0 shocking -2.3 shocked -2.0 appalling -3.0 appalled -2.8 incompetent -2.7 incompetence -2.7
    rude -2.5 slow -1.3 slowly -1.0 late -1.2 delayed -1.3 delay -1.2 broken -1.9 damaged -1.9 defective -2.0
    faulty -2.0 wrong -1.8 error -1.5 problem -1.5 issue -1.0 fail -2.0 failed -2.0 failure -2.3 failing -2.0
    missing -1.4 lost -1.7 stolen -2.3 scam -3.0 scammed -3.0 fraud -3.0 ripoff -2.6 complaint -1.8 complain -1.7
    worried -1.8 worry -1.6 worrying -1.8 concerned -1.3 confused -1.2 confusing -1.6 difficult -1.5 impossible -1.8
    waste -2.0 wasted -2.2 nightmare -2.8 joke -1.2 hopeless -2.4 ashamed -2.2 sucks -2.5 suck -2.2 sucked -2.3
    crap -2.5 shit -2.8 damn -1.8 wtf -2.7 stupid -2.4 idiot -2.7 idiots -2.7 liar -2.6 lied -2.3 lying -2.3
    lies -2.2 cheated -2.6 unfair -2.1 overcharged -2.2 tired -1.3 sick -1.5 fed -1.0 ignored -2.0 ignoring -1.9
    unreliable -2.1 unprofessional -2.4 unhelpful -2.2 outrageous -2.8 outraged -2.8 dreadful -3.0 mess -1.8
    messed -1.8 screwed -2.3 nonsense -2.0 hell -2.2 sorry -0.5 pain -1.9 painful -2.1 scared -1.9 afraid -1.7
    anxious -1.7 stress -1.8 stressed -1.9 stressful -2.0 insane -1.8 regret -2.0 expensive -0.9 overpriced -1.8
    inconvenient -1.7 inconvenience -1.6 unusable -2.4 garbage -2.6 rubbish -2.4 junk -2.2 trash -2.3 crappy -2.5
    lousy -2.4 mediocre -1.3 meh -0.7 ugh -1.8 argh -1.8 sigh -1.0 disaster -3.0 disastrous -3.0 chaos -2.0
    hassle -1.7 ruined -2.6 ruin -2.4 unanswered -1.8 disgusted -3.0 livid -3.2 fuming -3.0 infuriating -3.0
    infuriated -3.0 aggravating -2.3 sloppy -2.0 careless -1.9 misleading -2.2 misled -2.1 dishonest -2.6
    unresolved -1.7 refuse -1.5 refused -1.8 declined -1.2 denied -1.6 cancelled -0.6 canceled -0.6 crashed -1.7
    crashing -1.7 bug -1.2 buggy -1.8 glitch -1.4 unclear -1.2 inadequate -1.9 neglected -2.0 forgot -1.0
    forgotten -1.4 disrespectful -2.6 horrendous -3.2 atrocious -3.2 abysmal -3.2 terribly -2.3
    horribly -2.6 awfully -2.0 badly -2.0 sadly -1.6 unfortunately -1.3 unfortunate -1.4 annoy -1.8 hurt -2.1
    cheap -0.4 flimsy -1.6 dirty -1.8 stained -1.5 cracked -1.7 smashed -2.0 ripped -1.6 torn -1.5 dead -1.8
    threatening -2.3 threat -2.2 lawyer -1.0 sue -1.5 chargeback -1.4 dispute -1.2 unauthorized -2.0
    unauthorised -2.0 stuck -1.4 struggling -1.7 struggle -1.6 doubt -1.1 suspicious -1.7 fake -2.2 bogus -2.4
    """

private let englishModifiers = """
    very 1.3 really 1.25 extremely 1.5 so 1.25 super 1.3 incredibly 1.45 absolutely 1.4 totally 1.3 completely 1.35
    utterly 1.45 highly 1.3 truly 1.25 too 1.2 most 1.2 such 1.2 exceptionally 1.4 especially 1.15 particularly 1.15
    quite 1.1 seriously 1.25 insanely 1.4 ridiculously 1.4 deeply 1.3 remarkably 1.3 unbelievably 1.4 hugely 1.35
    massively 1.35 entirely 1.3 thoroughly 1.3 pretty 1.1 real 1.15 sooo 1.35 soooo 1.4 veryyy 1.35 majorly 1.3
    slightly 0.5 somewhat 0.6 bit 0.6 little 0.6 kinda 0.7 sorta 0.7 barely 0.4 marginally 0.5 fairly 0.8 rather 0.85
    partly 0.6 partially 0.6 mildly 0.5 moderately 0.7 relatively 0.8 almost 0.7 reasonably 0.8 occasionally 0.7
    """

private let englishNegators = """
    not no never neither nor none nobody nothing nowhere without hardly cannot cant can't don't dont doesn't doesnt
    didn't didnt isn't isnt wasn't wasnt aren't arent weren't werent won't wont wouldn't wouldnt shouldn't shouldnt
    couldn't couldnt haven't havent hasn't hasnt hadn't hadnt mustn't ain't aint needn't
    """

private let englishEmoticons = """
    :) 1.8 :-) 1.8 (: 1.6 =) 1.6 :] 1.5 :d 2.3 :-d 2.3 xd 1.8 ;) 1.3 ;-) 1.3 <3 2.5 :p 1.0 :-p 1.0
    :( -1.9 :-( -1.9 ): -1.6 =( -1.8 :[ -1.6 :'( -2.2 >:( -2.6 :@ -2.3 :/ -1.0 :-/ -1.0 :\\ -1.0 :| -0.5 -_- -1.2
    😊 2.0 🙂 1.4 😀 2.0 😃 2.0 😄 2.1 😁 2.0 😆 1.9 😍 2.8 🥰 2.8 😘 2.2 ❤ 2.5 💕 2.4 👍 1.6 👌 1.4 🙏 1.2 🎉 2.0
    😂 1.2 🤣 1.3 😉 1.3 🤗 2.0 ✅ 0.8 💯 1.8 🥳 2.4 😎 1.5 ⭐ 1.2 🌟 1.6
    😢 -2.0 😭 -2.2 😞 -2.0 😔 -1.8 😟 -1.6 🙁 -1.6 ☹ -1.8 😠 -2.6 😡 -2.9 🤬 -3.1 👎 -1.8 💩 -2.0 😤 -2.2
    😩 -2.0 😫 -2.0 🤦 -1.5 🙄 -1.4 😒 -1.5 😖 -1.9 😣 -1.7 😰 -1.9 😱 -2.0 💔 -2.3 😑 -0.9 😐 -0.4
    """

private let englishStopwords = """
    a about above after again against all am an and any are aren't as at be because been before being below between
    both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
    further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his
    how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no nor
    not of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's should
    shouldn't so some such than that that's the their theirs them themselves then there there's these they they'd
    they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're we've were
    weren't what what's when when's where where's which while who who's whom why why's will with won't would
    wouldn't you you'd you'll you're you've your yours yourself yourselves im ive dont cant wont didnt doesnt isnt
    also just please pls plz ok okay hi hello hey thanks thank thx yes yeah yep no nope still get got want wanted
    need needs like would could can may might must shall us one two really much many lot lots even though already
    yet now today tomorrow yesterday hasnt havent wasnt werent arent couldnt shouldnt wouldnt ill id youre theyre
    thats whats theres heres lets u ur r
    """

private let englishChatFiller = """
    monday tuesday wednesday thursday friday saturday sunday weekend week weeks month months day days today tonight
    morning afternoon evening night hour hours minute minutes time times ago since soon later earlier last next ever
    come came comes coming go goes went gone going supposed said say says saying told tell know knew think thought
    thing things something anything everything someone anyone guys hey sir madam actually literally basically
    seriously honestly really maybe probably definitely exactly again whatever ridiculous joke
    """

private let englishGreetings = """
    hi hello hey hiya heya howdy yo greetings good morning afternoon evening day there team all everyone folks
    thanks thank thx ty cheers you so much very ok okay sure great fine cool alright right yes yeah yep no nope
    hmm hm um uh oh ah well how are is it going doing today hope hoping this finds your i'm im am
    """

private let englishHandoverWords = """
    agent agents human humans person people representative rep operator someone somebody real live actual customer
    service support staff member speak talk chat connect transfer get me to a an the with please pls i want wanna
    need would like can could you give put through now asap
    """
