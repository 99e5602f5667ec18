/**
 * The default breached-password corpus shipped with Tessera: passwords at the
 * top of the published leak rankings (the RockYou leak, the yearly "most
 * common passwords" lists, SecLists' top lists), exactly as leaked (case
 * matters: a breached-password corpus stores SHA-1 hashes of exact strings).
 * Hashed into the HIBP form when first used. Operators load the full Have I
 * Been Pwned corpus with TESSERA_BREACHED_PASSWORDS.
 */
export const DEFAULT_BREACHED = `
123456 123456789 12345678 12345 1234567 1234567890 1234 123 12345678910 0123456789 123123 123321
111111 000000 1111 11111 1111111 11111111 111111111 1111111111 222222 333333 444444 555555 666666
777777 888888 999999 7777777 121212 112233 123654 654321 987654321 9876543210 123456a 123456q
123456789a 147258369 147258 159753 159357 753951 852456 963852741 789456 789456123 456789 102030
1234qwer 123qwe 123qweasd qwe123 1q2w3e 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx 1qazxsw2
zaq12wsx zaq1xsw2 q1w2e3r4 q1w2e3r4t5 qwerty qwerty1 qwerty12 qwerty123 qwerty1234 qwertyuiop
qwertyu qwertyui qwert qwer1234 qwertz azerty azerty123 qazwsx qazwsxedc qweasd qweasdzxc asdf
asdfgh asdfghjkl asdf1234 asdfasdf zxcvbn zxcvbnm abc123 abc1234 abcd1234 abc12345 abcdef abcdefg
abcdefgh a123456 a12345 a1234567 a1b2c3 a1b2c3d4 aa123456 aaaaaa aaaaaaaa abcabc qqqqqq zzzzzz
password password1 password12 password123 password1234 password! passw0rd p@ssw0rd p@ssword pass
pass123 pass1234 passpass mypassword changeme secret secret123 letmein letmein1 welcome welcome1
welcome123 admin admin1 admin123 admin1234 administrator root root123 toor test test1 test123
test1234 testing guest user user123 login master master123 default demo iloveyou iloveyou1 iloveu
loveme love love123 lovely trustno1 monkey monkey1 monkey123 dragon dragon1 sunshine sunshine1
princess princess1 football football1 baseball basketball soccer hockey superman batman starwars
pokemon pikachu naruto matrix mickey snoopy shadow shadow1 hunter hunter2 hunter1 killer jordan
jordan23 michael michael1 jennifer jessica ashley daniel thomas charlie charlie1 robert andrew
joshua matthew anthony william george hannah amanda nicole jasmine tigger buster ginger pepper
maggie cookie chocolate cheese banana orange purple flower summer winter freedom whatever
nothing computer internet samsung google yahoo facebook linkedin myspace1 blink182 liverpool
chelsea arsenal barcelona ferrari mustang corvette harley yamaha 696969 qwerty7 1111111111
solo starwars1 zaq1zaq1 loveyou 5201314 aaaaaa1 000000000 00000000 987654 112233445566 147852
asdasd asd123 qweqwe zxc123 zxcvbn123 1qaz1qaz password2 password11 iloveyou2 fuckyou fuckyou1
Password Password1 Password12 Password123 Password1234 Password! Password1! Password@123 P@ssw0rd
P@ssw0rd1 P@ssword1 Passw0rd Passw0rd! Qwerty123 Qwerty1 Qwerty123! Welcome1 Welcome123 Welcome1!
Welcome@123 Admin123 Admin@123 Admin Administrator Changeme Changeme1 Letmein1 Summer2023 Summer2024
Summer2025 Winter2023 Winter2024 Winter2025 Spring2024 Spring2025 Autumn2024 Fall2024 January2024
Monkey123 Dragon123 Football1 Baseball1 Superman1 Batman123 Michael1 Jessica1 Charlie1 Abc123
Abcd1234 Aa123456 Aa123456! Test123 Test1234 Test@123 Pass@123 Pass1234 Iloveyou1 Sunshine1
Princess1 Shadow1 Master1 Hello123 hello hello123 hello1 Hello1 secret1 azertyuiop qwerty12345
1234567a 12345a 123abc 1a2b3c 102030405 7654321 1122334455 11223344 123456789q 1234567q 987654321a
mother father family baby babygirl angel angel1 butterfly rainbow jesus christ blessed ihateyou
friends forever teamo tequiero bonjour soleil ciao amore bella fantasy spiderman ironman avengers
`
  .split(/\s+/)
  .filter(Boolean);
