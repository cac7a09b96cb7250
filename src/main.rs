fn main() {
    println!("m2auth");
}
