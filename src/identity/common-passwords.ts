/**
 * Passwords that head every published leak ranking (RockYou, the yearly
 * "worst passwords" lists, SecLists' top 1000), lower-cased, plus the
 * season/month + year pattern that password rotation breeds. A password
 * policy compares case-insensitively, so `Password1` is `password1` here.
 * Exact matches only: a common word inside a longer password is not flagged.
 */
const LIST = `
123456 123456789 12345678 12345 1234567 1234567890 1234 123 12345678910 0123456789 01234567890 123123 123321
111111 000000 1111 11111 1111111 11111111 111111111 1111111111 222222 333333 444444 555555 666666 777777
888888 999999 7777777 121212 112233 123654 654321 987654321 9876543210 123456a 123456q 123456789a
147258369 147258 159753 159357 753951 852456 963852741 741852963 789456 789456123 456789 13579 24680
102030 101010 202020 147852 258369 369369 1234qwer 123qwe 123qweasd 123qweasdzxc qwe123 qwe123qwe
1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qaz2wsx3edc 1qazxsw2 zaq12wsx zaq1xsw2 zaq1xsw2cde3
q1w2e3r4 q1w2e3r4t5 q1w2e3r4t5y6 qwerty qwerty1 qwerty12 qwerty123 qwerty1234 qwerty12345 qwerty123456
qwertyu qwertyui qwertyuiop qwertyuiop123 qwert qwer1234 qwerasdf qwertz qwertz123 azerty azerty123
qazwsx qazwsxedc qazwsxedcrfv qweasd qweasdzxc asdf asdfg asdfgh asdfghj asdfghjk asdfghjkl asdf1234
asdfasdf asd123 zxcv zxcvb zxcvbn zxcvbnm zxcvbnm123 zxcasdqwe mnbvcxz poiuytrewq lkjhgfdsa 1234asdf
abc123 abc1234 abcd1234 abc12345 abcdef abcdefg abcdefgh abcdefghi abcdefghij abcd abc 123abc a123456
a12345 a1234567 a1b2c3 a1b2c3d4 aa123456 aaaaaa aaaaaaaa abcabc abc123abc aaa111 qqqqqq zzzzzz
password password1 password12 password123 password1234 password12345 password123456 password01
password2 password3 password9 password99 password! password1! password123! password@123 password#1
passw0rd passw0rd1 passw0rd123 passw0rd! p@ssw0rd p@ssw0rd1 p@ssw0rd123 p@ssw0rd! p@ssword p@ssword1
p@ssword123 p@55w0rd pa55word pa55w0rd pa$$word pa$$w0rd pass pass1 pass12 pass123 pass1234 pass12345
passpass password11 mypassword mypassword1 mypass newpassword newpass changeme changeme1 changeme123
changeit secret secret1 secret12 secret123 secret1234 topsecret supersecret letmein letmein1 letmein123
letmein! welcome welcome1 welcome12 welcome123 welcome1234 welcome! welcome1! welcome@123 welcome2
admin admin1 admin12 admin123 admin1234 admin12345 admin! admin@123 admin#123 administrator adminadmin
root root123 toor rootroot test test1 test12 test123 test1234 test12345 testing testing1 testing123
tester guest guest123 user user1 user123 login login1 login123 master master1 master123 masterkey
default system system1 server oracle oracle123 mysql postgres sql database backup temp temp123
temppass temp1234 demo demo123 sample iloveyou iloveyou1 iloveyou2 iloveyou12 iloveyou123 iloveu
ilovegod ilovejesus iloveme loveme loveyou love love1 love12 love123 lovely lovelove lover lovers
lovebug loveu2 trustno1 trustno1! monkey monkey1 monkey12 monkey123 dragon dragon1 dragon12 dragon123
dragons sunshine sunshine1 sunshine123 princess princess1 princess12 princess123 football football1
football12 football123 baseball baseball1 basketball soccer soccer1 soccer12 hockey hockey1 tennis golf
golfer cricket rugby volleyball superman superman1 batman batman1 batman123 spiderman ironman starwars
starwars1 pokemon pokemon1 pikachu naruto sasuke goku dragonball matrix neo morpheus gandalf frodo
hobbit harrypotter hogwarts voldemort mickey mickeymouse minnie donald goofy snoopy garfield scooby
scoobydoo tigger pooh winnie winniethepooh barbie bubbles shadow shadow1 hunter hunter1 hunter2
hunter123 ranger buster buster1 killer killer1 killer123 charlie charlie1 charlie123 thomas thomas1
michael michael1 jennifer jordan jordan1 jordan23 michelle jessica jessica1 ashley ashley1 amanda
nicole daniel daniel1 andrew anthony william joshua matthew matthew1 robert robert1 david joseph
james john johnny richard charles christopher chris christian jonathan justin brandon tyler austin
kevin steven george edward patrick peter paul mark jason jason1 jackson jack jake samuel
benjamin alexander alexandra alex alex123 max max123 maxwell oliver harry jacob ethan ryan nathan
taylor hannah sarah emily emma olivia sophia sophie isabella chloe lily grace victoria elizabeth
jasmine melissa stephanie heather amber crystal diamond samantha natalie rachel rebecca maria mary
anna angela angel angel1 angels angelina andrea jenny jessie kelly kimberly lauren megan morgan
brittany courtney chelsea chelsea1 summer summer1 winter spring autumn freedom freedom1 whatever
whatever1 nothing something forever forever1 always friends friend friendship family family1 happy
happy1 happy123 smile sweet sweetie sweetheart sweety honey honey1 sugar candy cookie cookie1 pepper
ginger cinnamon chocolate chocolate1 cheese cheese1 banana banana1 apple apple1 apple123 orange
orange1 cherry strawberry peaches peanut peanut1 butter butterfly butterfly1 flower flower1 flowers
rose daisy tulip sunflower rainbow rainbow1 purple purple1 yellow green blue blue123 red red123 black
white silver silver1 golden gold pink pinky computer computer1 internet internet1 google google1
google123 facebook facebook1 twitter youtube yahoo hotmail gmail microsoft windows windows1 linux
apple12 iphone samsung samsung1 nokia android blackberry playstation xbox xbox360 nintendo minecraft
minecraft1 fortnite roblox roblox1 warcraft starcraft counterstrike gamer gaming player player1
mustang mustang1 ferrari porsche mercedes bmw audi toyota honda nissan corvette camaro harley
harley1 yamaha ducati maverick jaguar chevy ford1 dodge jeep cowboys cowboys1 yankees yankees1
redsox eagles eagles1 steelers packers patriots raiders lakers lakers1 bulls celtics giants dolphins
broncos chargers vikings bears tigers lions panthers falcons saints rangers liverpool liverpool1
arsenal arsenal1 chelsea12 manutd manchester barcelona realmadrid madrid juventus milan inter
bayern ronaldo ronaldo7 cristiano messi messi10 beckham zidane maradona pele neymar jordan2
killer12 access access14 letmein2 access123 security security1 secure private public open
opensesame open123 sesame master12 boss123 boss superuser super super123 power power1 power123
matrix1 phoenix phoenix1 dragon69 tiger tiger1 tiger123 lion lion123 wolf wolf123 wolves eagle
falcon hawk cobra viper python snake spider bear panda panda1 monkey2 donkey horse horses cat cats
kitty kitty1 kitten dog dogs doggy puppy puppy1 bunny rabbit turtle dolphin fish fishing hunting
jesus jesus1 jesus123 jesuschrist christ god god123 godisgood blessed blessed1 faith hope grace1
heaven heaven1 angel123 devil demon satan hell hello hello1 hello12 hello123 hellokitty hi123 hey
yes no maybe okay ok nopass nopassword qwerty7 1password 1qaz 2wsx qaz123 zaq123 q1w2e3 qweqwe
qwaszx qazxsw zxc123 zxcvbn123 asdzxc asdqwe qweasdzxc123 111222 112211 121314 123098 123454321
1234321 123456654321 12344321 1122334455 11223344 123456123456 12341234 1234512345 100200 110110
159951 147369 741852 963852 987654 98765 9876543 98765432 87654321 7654321 4321 54321 654321a
88888888 99999999 00000000 0000 00000 000000000 696969 6969 69696969 420420 420 1313 131313 2000
2001 1987 1988 1989 1990 1991 1992 1993 1994 1995 1996 1997 1998 1999 qwerty! qwerty1! q1w2e3r4!
asdf123 asdf12 fuckyou fuckyou1 fuckoff fuck shit bitch bitch1 asshole sex sexy sexy1 sexy123 porn
pussy dick penis boobs horny naughty hottie hot hotstuff babygirl babygirl1 baby baby1 baby123
babyboy babe princesa mylove mybaby myspace myspace1 mylife mypc mycomputer bigdaddy daddy daddy1
mommy mommy1 mother mother1 father sister brother family123 children michael123 jordan123 daniel123
charlie12 andrea1 junior junior1 senior bandit biteme blink182 metallica slipknot nirvana eminem
tupac 50cent beatles elvis music music1 musica guitar guitar1 piano drums rock rockstar rocknroll
rockyou rocky rocky1 marley reggae hiphop dance dancer dancing singer star stars star123 superstar
moon sun sunny sunday monday friday weekend holiday vacation beach ocean sea water fire ice snow
snowball snowman thunder lightning storm rain cloud sky heaven123 earth planet galaxy universe
space rocket pilot captain soldier army navy marine sniper ninja samurai warrior knight legend
legend1 champion champion1 winner winner1 victory success money money1 money123 cash dollar rich
lucky lucky1 lucky7 lucky13 number1 numberone first q1w2 azerty1 qwertz1 ytrewq 1qw23e 1q2w3e4
zaqxsw xsw21qaz 2wsx3edc 3edc4rfv 4rfv5tgb qazxswedc 1qazzaq1 !qaz2wsx !qaz1qaz 1q2w3e4r! qwerty@123
pass@123 pass@word1 password@1 p@ss1234 p@ss123 admin@1234 root@123 test@123 abc@123 abcd@1234
welcome@1 hello@123 india@123 india123 india pakistan china america usa canada london paris
berlin tokyo moscow russia germany france italy spain mexico brazil australia newyork chicago
boston dallas texas florida california vegas hollywood london1 england scotland ireland wales
student student1 teacher school school1 college university office office1 work work123 company
business manager manager1 sales marketing support support1 service helpdesk it123 tech network
network1 router wireless wifi internet123 website web web123 online email email1 mail mail123
`;

const SEASONS_AND_MONTHS = [
  'spring',
  'summer',
  'autumn',
  'fall',
  'winter',
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

function build(): Set<string> {
  const set = new Set(LIST.split(/\s+/).filter(Boolean));
  for (const word of SEASONS_AND_MONTHS) {
    for (let year = 2000; year <= 2035; year++) {
      for (const y of [String(year), String(year).slice(2)]) {
        set.add(word + y);
        set.add(`${word}${y}!`);
        set.add(`${word}@${y}`);
      }
    }
  }
  return set;
}

/** The dictionary, lower-case. */
export const COMMON_PASSWORDS: ReadonlySet<string> = build();

/** True when the password, ignoring case, is one of the common ones. */
export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS.has(password.toLowerCase());
}
